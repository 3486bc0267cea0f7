// Typed errors of the Kafka wire codec.
// Owns: the two error classes the codec throws. Must not import anything: the codec
// is shared with the browser client, so no Node built-ins and no engine types here.
//
// A DecodeError means the bytes cannot be parsed (short, negative or oversized
// lengths, bad varints): a stream that produced one cannot be resynchronised, so a
// connection that sees one is closed. An EncodeError means a value given to the
// encoder does not fit its schema: a bug on our side, never bad input.

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

export class EncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncodeError';
  }
}
