import assert from 'node:assert/strict';
import { CameraError, type CameraErrorCode } from '../../../drivers/camera/camera-error';

/** For assert.rejects/throws: the error is a CameraError with this code (and message pattern). */
export function isCode(code: CameraErrorCode, pattern?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof CameraError, `expected a CameraError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}
