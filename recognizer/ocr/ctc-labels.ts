import type { LoadedModel } from '../onnx-session';
import { RecognizerError } from '../recognizer-error';

/**
 * The class labels of a CTC model: blank at index 0, the manifest's charset, then any extra
 * classes the model appends (PP-OCR adds a space). Checked against the model's output width so a
 * charset that does not belong to the model is refused instead of decoding garbage.
 */
export function ctcLabels(loaded: LoadedModel, trailing: string[] = []): string[] {
  const charset = loaded.model.charset;
  if (!charset) throw new RecognizerError('MODEL_MANIFEST_INVALID', `model "${loaded.model.name}" has no charset in the manifest`);
  const labels = ['', ...charset, ...trailing];
  const meta = loaded.session.outputMetadata[0];
  const classes = meta && 'shape' in meta ? meta.shape[meta.shape.length - 1] : undefined;
  if (typeof classes === 'number' && classes !== labels.length) {
    throw new RecognizerError('MODEL_SHAPE_MISMATCH', `model "${loaded.model.name}": ${classes} output classes but the charset gives ${labels.length}`);
  }
  return labels;
}
