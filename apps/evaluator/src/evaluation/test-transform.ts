import type { TestTransform } from './test-sets';

/** A run configuration's `testTransform` that cannot be used; the message names the field. */
export class TestTransformError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field} ${message}`);
    this.name = 'TestTransformError';
  }
}

const positiveInt = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value > 0;

/**
 * A run configuration's `testTransform`, checked: absent or null is none (resize to `imageSize`); otherwise
 * `resize` and `crop` are positive integers with crop ≤ resize, and `crop` is the model's `imageSize`.
 */
export function parseTestTransform(value: unknown, imageSize: number): TestTransform | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new TestTransformError(
      'testTransform',
      `must be an object { resize, crop } or null, got ${JSON.stringify(value)}`,
    );
  const { resize, crop } = value as Record<string, unknown>;
  if (!positiveInt(resize))
    throw new TestTransformError(
      'testTransform.resize',
      `must be a positive integer, got ${JSON.stringify(resize)}`,
    );
  if (!positiveInt(crop))
    throw new TestTransformError(
      'testTransform.crop',
      `must be a positive integer, got ${JSON.stringify(crop)}`,
    );
  if (crop > resize)
    throw new TestTransformError(
      'testTransform.crop',
      `must be at most testTransform.resize (${resize}), got ${crop}`,
    );
  if (crop !== imageSize)
    throw new TestTransformError(
      'testTransform.crop',
      `must be the run's imageSize (${imageSize}), got ${crop}`,
    );
  return { resize, crop };
}
