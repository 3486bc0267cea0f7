#!/usr/bin/env bash
# Builds the confluent-kafka (Python) interop driver: a venv at interop/python/.venv
# with the pinned requirements (wheels only, so librdkafka comes bundled and nothing
# compiles), and an executable wrapper interop/bin/python (see interop/README.md).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../bin"
py="${PYTHON:-$(command -v python3.11 || command -v python3)}"
"$py" -c 'import sys; assert sys.version_info >= (3, 10), sys.version' \
  || { echo "interop/python: needs Python >= 3.10 ($py)" >&2; exit 1; }
if [ ! -x "$here/.venv/bin/python" ]; then
  "$py" -m venv "$here/.venv"
fi
"$here/.venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: -r "$here/requirements.txt"
"$here/.venv/bin/python" -c 'import confluent_kafka as c; print("interop/python: confluent-kafka", c.version(), "librdkafka", c.libversion()[0])' >&2
mkdir -p "$bin"
cat > "$bin/python" <<WRAP
#!/usr/bin/env bash
# Written by interop/python/build.sh: runs the confluent-kafka interop driver in its venv.
exec "$here/.venv/bin/python" -u "$here/driver.py" "\$@"
WRAP
chmod +x "$bin/python"
echo "interop/python: built $bin/python" >&2
