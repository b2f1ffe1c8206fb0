import { OnnxSignatureError } from './onnx-errors.js';
import { readOnnxSignature, type OnnxSignature } from './onnx-signature.js';

// An ONNX file is one ModelProto whose bulk is tensor data (initializer raw_data, float_data, node
// attributes). The signature needs only a few small fields, so the scanner walks the protobuf wire
// format as chunks arrive, copies those fields into a skeleton ModelProto and skips everything else
// by length, without holding it. The skeleton keeps every retained field in its original order, so
// readOnnxSignature on the skeleton sees what it would see on the whole file.

/** Which message a frame is inside of. */
type Kind = 'model' | 'graph' | 'tensor' | 'sparse';

/** What to do with a field: keep its varint, copy its bytes, descend into it, or skip it. */
type Action = 'varint' | 'copy' | Kind | 'skip';

const PLAN: Record<Kind, Record<number, Action>> = {
  // ModelProto: ir_version (1), producer_name (2), graph (7), opset_import (8).
  model: { 1: 'varint', 2: 'copy', 7: 'graph', 8: 'copy' },
  // GraphProto: initializer (5), input (11), output (12), sparse_initializer (15). Nodes (1) and
  // value_info (13) are skipped: nodes can carry whole tensors as attributes.
  graph: { 5: 'tensor', 11: 'copy', 12: 'copy', 15: 'sparse' },
  // TensorProto: only its name (8); dims, data and raw_data are skipped.
  tensor: { 8: 'copy' },
  // SparseTensorProto: values (1), whose name is the initializer's name.
  sparse: { 1: 'tensor' },
};

/** The retained fields of a real model are a few KiB; more than this is not a signature. */
export const MAX_SIGNATURE_BYTES = 16 * 1024 * 1024;

const enum State {
  Tag,
  Length,
  Value,
  Skip,
  Copy,
}

interface Frame {
  readonly kind: Kind;
  /** Absolute offset where this message ends; Infinity for the file itself. */
  readonly end: number;
  /** The tag bytes that introduced this message in its parent. */
  readonly tag: Uint8Array;
  readonly out: Uint8Array[];
  outBytes: number;
}

/**
 * Reads an ONNX model's signature from its bytes in order, one chunk at a time, holding only the
 * fields the signature needs (bounded by MAX_SIGNATURE_BYTES). `push` may throw
 * OnnxSignatureError as soon as the bytes cannot be a ModelProto; `finish` returns what
 * readOnnxSignature would return for the whole file, or throws the OnnxSignatureError it would.
 * The scanner never keeps a reference to a pushed chunk once `push` returns. It checks the framing
 * (tags and lengths) of every field, but not what the schema says about the inside of the nodes
 * and tensors it skips: damage there is left to the runtime that loads the model, as damage inside
 * raw_data always was.
 */
export class OnnxSignatureScanner {
  private readonly frames: Frame[] = [
    { kind: 'model', end: Infinity, tag: new Uint8Array(), out: [], outBytes: 0 },
  ];
  private state = State.Tag;
  /** Raw bytes of the varint being read (tag, length or value). */
  private varint: number[] = [];
  private tag: Uint8Array = new Uint8Array();
  private action: Action = 'skip';
  private remaining = 0;
  /** Bytes held for the signature (the skeleton so far). */
  private retained = 0;
  private offset = 0;
  private finished = false;
  /** Depth inside skipped protobuf groups (wire types 3/4), which no ONNX message uses. */
  private groupDepth = 0;

  push(chunk: Uint8Array): void {
    if (this.finished) throw new Error('the scanner has finished; push after finish is a bug');
    let at = 0;
    while (at < chunk.length) {
      if (this.state === State.Skip || this.state === State.Copy) {
        const n = Math.min(this.remaining, chunk.length - at);
        if (this.state === State.Copy) this.keep(chunk.slice(at, at + n));
        at += n;
        this.offset += n;
        this.remaining -= n;
        if (this.remaining === 0) this.fieldDone();
        continue;
      }
      const byte = chunk[at++]!;
      this.offset++;
      this.varint.push(byte);
      if (this.varint.length > 10) throw this.malformed('a varint runs over 10 bytes');
      if (byte & 0x80) continue;
      const raw = Uint8Array.from(this.varint);
      this.varint = [];
      this.onVarint(raw);
    }
  }

  finish(): OnnxSignature {
    this.finished = true;
    if (this.frames.length > 1 || this.state !== State.Tag || this.varint.length > 0 || this.groupDepth > 0) {
      throw notOnnx(
        `the bytes do not parse as an ONNX ModelProto (the file ends inside a field at byte ${this.offset}); the file may be truncated`,
      );
    }
    const root = this.frames[0]!;
    // Bytes that hold no field the signature reads decode to a ModelProto of defaults.
    if (this.offset > 0 && root.outBytes === 0) throw notOnnx('ir_version is 0, expected 3 or later');
    return readOnnxSignature(concat(root.out, root.outBytes));
  }

  private onVarint(raw: Uint8Array): void {
    const value = varintValue(raw);
    const frame = this.top();
    switch (this.state) {
      case State.Tag: {
        const field = Math.floor(value / 8);
        const wire = value % 8;
        this.tag = raw;
        // Like protobuf decoders, a field the signature reads is read as its declared type whatever
        // its wire type says; everything else (including whole groups) is skipped by wire type.
        this.action = this.groupDepth > 0 ? 'skip' : (PLAN[frame.kind][field] ?? 'skip');
        if (this.action === 'varint') this.state = State.Value;
        else if (this.action !== 'skip' || wire === 2) this.state = State.Length;
        else if (wire === 0) this.state = State.Value;
        else if (wire === 1 || wire === 5) this.skip(wire === 1 ? 8 : 4);
        else if (wire === 3) this.groupDepth++;
        else if (wire === 4 && this.groupDepth > 0) {
          this.groupDepth--;
          this.fieldDone();
        } else throw this.malformed(`wire type ${wire}`);
        return;
      }
      case State.Value:
        if (this.action === 'varint') {
          this.keep(this.tag);
          this.keep(raw);
        }
        this.fieldDone();
        return;
      case State.Length: {
        if (this.action === 'copy') {
          this.keep(this.tag);
          this.keep(raw);
          this.remaining = value;
          this.state = State.Copy;
          if (value === 0) this.fieldDone();
        } else if (this.action === 'skip' || this.action === 'varint') {
          this.skip(value);
        } else {
          this.frames.push({
            kind: this.action,
            end: this.offset + value,
            tag: this.tag,
            out: [],
            outBytes: 0,
          });
          this.fieldDone();
        }
        return;
      }
      default:
        throw new Error(`unexpected varint in state ${this.state}`);
    }
  }

  private skip(n: number): void {
    this.remaining = n;
    this.state = State.Skip;
    if (n === 0) this.fieldDone();
  }

  /**
   * A field ended: close every message that ends here, nesting its skeleton into its parent's. A
   * field that runs past the end of its message closes that message too; protobuf decoders accept
   * that (only running past the end of the file is an error), and so does the scanner.
   */
  private fieldDone(): void {
    this.state = State.Tag;
    if (this.groupDepth > 0) return;
    for (let frame = this.top(); this.frames.length > 1 && this.offset >= frame.end; frame = this.top()) {
      this.frames.pop();
      const parent = this.top();
      const length = encodeVarint(frame.outBytes);
      parent.out.push(frame.tag, length, ...frame.out);
      parent.outBytes += frame.tag.length + length.length + frame.outBytes;
      this.retained += frame.tag.length + length.length;
    }
  }

  private keep(bytes: Uint8Array): void {
    this.retained += bytes.length;
    if (this.retained > MAX_SIGNATURE_BYTES) {
      throw new OnnxSignatureError(
        `the model's inputs, outputs and initializer names take more than ${MAX_SIGNATURE_BYTES} bytes; that is not a signature aimass can serve`,
      );
    }
    const frame = this.top();
    frame.out.push(bytes);
    frame.outBytes += bytes.length;
  }

  private top(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  private malformed(what: string): OnnxSignatureError {
    return notOnnx(
      `the bytes do not parse as an ONNX ModelProto (${what} at byte ${this.offset}); the file may be truncated or not a model`,
    );
  }
}

function varintValue(raw: Uint8Array): number {
  let value = 0;
  for (let i = raw.length - 1; i >= 0; i--) value = value * 128 + (raw[i]! & 0x7f);
  return value;
}

function encodeVarint(n: number): Uint8Array {
  const bytes: number[] = [];
  while (n >= 0x80) {
    bytes.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Uint8Array.from(bytes);
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function notOnnx(reason: string): OnnxSignatureError {
  return new OnnxSignatureError(`not an ONNX model: ${reason}`);
}
