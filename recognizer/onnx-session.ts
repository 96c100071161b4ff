import * as ort from 'onnxruntime-node';
import { checkInputShape, verifyModel, type VerifiedModel } from './model-manifest';
import { RecognizerError } from './recognizer-error';

export interface SessionOptions {
  /** onnxruntime intra-op threads; one per worker keeps workers from fighting over cores. */
  threads: number;
  manifestPath?: string;
}

export interface LoadedModel {
  model: VerifiedModel;
  session: ort.InferenceSession;
}

/** Verifies a manifest model, then opens an onnxruntime session on it and checks its input. */
export async function loadModel(name: string, options: SessionOptions): Promise<LoadedModel> {
  const model = await verifyModel(name, options.manifestPath);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model.modelPath, {
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw new RecognizerError('MODEL_LOAD_FAILED', `model "${name}" (${model.modelPath}): onnxruntime cannot load it: ${(err as Error).message}`);
  }
  const input = session.inputMetadata.find((m) => m.name === model.entry.input.name) ?? session.inputMetadata[0];
  checkInputShape(model, input && 'shape' in input ? { name: input.name, shape: input.shape } : undefined);
  return { model, session };
}

export { ort };
