# Samsa's native addon: pins the calling thread to a CPU (see samsa_native.cc).
# Built offline by scripts/build-native.mjs, which passes node_addon_api_dir as an
# absolute path (so the build also works from a copy of this folder). The default
# below is for running `node-gyp rebuild` by hand inside native/.
{
  "variables": {
    "node_addon_api_dir%": "../node_modules/node-addon-api"
  },
  "targets": [
    {
      "target_name": "samsa_native",
      "sources": ["samsa_native.cc"],
      "include_dirs": ["<(node_addon_api_dir)"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags_cc": ["-std=c++17", "-O2"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "MACOSX_DEPLOYMENT_TARGET": "11.0"
          }
        }]
      ]
    }
  ]
}
