/**
 * Sealed payload formats. Every sealed payload starts with a format byte. Schema 1 stores sealed
 * payloads in clear with a checksum (PlainCodec, kept so an upgrade can open them once and seal
 * them again under AES-256-GCM, record-cipher.ts).
 */

/** Format bytes of sealed payloads. New formats take new numbers; a number is never reused. */
export const SealedFormat = {
  /** Payload in clear, followed by a CRC-32 over the record id and payload. */
  PLAIN_CRC32: 0x01,
  /** AES-256-GCM under a data key; the record's id, class and epoch are associated data. */
  AES256_GCM: 0x02,
} as const;

export interface RecordCodec {
  /** Short name for logs and errors, e.g. "plain". */
  readonly name: string;
  /** Seals the payload of record `id`; the id is bound in, so a payload moved to another record fails to open. */
  seal(id: string, payload: Buffer): Buffer;
  /** @throws RecordCodecError when the sealed bytes are damaged, of an unknown format, or not this record's. */
  open(id: string, sealed: Buffer): Buffer;
}

export class RecordCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordCodecError';
  }
}

const HEADER_BYTES = 1 + 4;

/**
 * No secrecy, only integrity: a flipped bit or a payload swapped between records is caught by
 * the checksum instead of decoding into a wrong plate.
 */
export class PlainCodec implements RecordCodec {
  readonly name = 'plain';

  seal(id: string, payload: Buffer): Buffer {
    const sealed = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
    sealed[0] = SealedFormat.PLAIN_CRC32;
    sealed.writeUInt32BE(recordChecksum(id, payload), 1);
    payload.copy(sealed, HEADER_BYTES);
    return sealed;
  }

  open(id: string, sealed: Buffer): Buffer {
    if (sealed.length < HEADER_BYTES) {
      throw new RecordCodecError(`sealed payload is ${sealed.length} bytes, shorter than its ${HEADER_BYTES}-byte header`);
    }
    if (sealed[0] !== SealedFormat.PLAIN_CRC32) {
      throw new RecordCodecError(`sealed payload has format byte 0x${sealed[0].toString(16).padStart(2, '0')}, which the ${this.name} codec does not open`);
    }
    const payload = sealed.subarray(HEADER_BYTES);
    const stored = sealed.readUInt32BE(1);
    const actual = recordChecksum(id, payload);
    if (stored !== actual) {
      throw new RecordCodecError(`checksum mismatch (stored ${hex32(stored)}, computed ${hex32(actual)}): the payload is damaged or belongs to another record`);
    }
    return Buffer.from(payload);
  }
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** CRC-32 (IEEE) of the id, a zero separator, and the payload. */
function recordChecksum(id: string, payload: Buffer): number {
  let crc = crc32Update(0xffffffff, Buffer.from(id, 'utf8'));
  crc = crc32Update(crc, ZERO);
  crc = crc32Update(crc, payload);
  return (crc ^ 0xffffffff) >>> 0;
}

const ZERO = Buffer.from([0]);

// zlib.crc32 only arrived in Node 20.15; the table is 1 KiB and built once.
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32Update(crc: number, bytes: Uint8Array): number {
  let c = crc;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return c >>> 0;
}
