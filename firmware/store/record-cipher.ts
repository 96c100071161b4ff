/**
 * Seals one record's payload with AES-256-GCM under its data key. The record's id, data class
 * and epoch are bound in as associated data: ciphertext copied onto another row, or moved to
 * another class or epoch, fails to open instead of decoding as someone else's read.
 * Layout: u8 format (0x02) | 12-byte random nonce | ciphertext | 16-byte tag.
 */
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import { RecordCodecError, SealedFormat } from './record-codec';

/** What a sealed payload is bound to. */
export interface RecordBinding {
  id: string;
  dataClass: string;
  epoch: number;
}

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + NONCE_BYTES;
/** Bytes sealing adds to a payload. */
export const SEAL_OVERHEAD_BYTES = HEADER_BYTES + TAG_BYTES;

function associatedData(b: RecordBinding): Buffer {
  return Buffer.from(`sightline record v2\0${b.id}\0${b.dataClass}\0${b.epoch}`, 'utf8');
}

export function sealRecord(key: KeyObject, binding: RecordBinding, payload: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(associatedData(binding));
  const sealed = Buffer.allocUnsafe(SEAL_OVERHEAD_BYTES + payload.length);
  sealed[0] = SealedFormat.AES256_GCM;
  nonce.copy(sealed, 1);
  const body = cipher.update(payload);
  body.copy(sealed, HEADER_BYTES);
  let end = HEADER_BYTES + body.length;
  const tail = cipher.final();
  tail.copy(sealed, end);
  end += tail.length;
  cipher.getAuthTag().copy(sealed, end);
  return sealed;
}

/** @throws RecordCodecError saying why: too short, another format, or failed authentication. */
export function openRecord(key: KeyObject, binding: RecordBinding, sealed: Buffer): Buffer {
  if (sealed.length < SEAL_OVERHEAD_BYTES) {
    throw new RecordCodecError(`sealed payload is ${sealed.length} bytes, shorter than the ${SEAL_OVERHEAD_BYTES} bytes of nonce and tag`);
  }
  if (sealed[0] !== SealedFormat.AES256_GCM) {
    throw new RecordCodecError(`sealed payload has format byte 0x${sealed[0].toString(16).padStart(2, '0')}, not AES-256-GCM (0x02)`);
  }
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, HEADER_BYTES));
  decipher.setAAD(associatedData(binding));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const body = decipher.update(sealed.subarray(HEADER_BYTES, sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([body, decipher.final()]);
  } catch {
    throw new RecordCodecError(
      `authentication failed: the ciphertext was altered, or it belongs to another record, class or epoch (bound to ${binding.id}, ${binding.dataClass}, epoch ${binding.epoch})`,
    );
  }
}
