import { describe, expect, it } from 'vitest';
import { parseTestTransform, TestTransformError } from './test-transform';

describe('a run configuration’s testTransform', () => {
  it('absent or null is none (a plain resize to imageSize)', () => {
    expect(parseTestTransform(undefined, 224)).toBeNull();
    expect(parseTestTransform(null, 224)).toBeNull();
  });

  it('takes positive integers with crop ≤ resize and crop = imageSize', () => {
    expect(parseTestTransform({ resize: 256, crop: 224 }, 224)).toEqual({ resize: 256, crop: 224 });
    expect(parseTestTransform({ resize: 16, crop: 16 }, 16)).toEqual({ resize: 16, crop: 16 });
  });

  it.each([
    [[1, 2], 'testTransform', 'must be an object'],
    ['256/224', 'testTransform', 'must be an object'],
    [{ crop: 224 }, 'testTransform.resize', 'must be a positive integer, got undefined'],
    [{ resize: 0, crop: 224 }, 'testTransform.resize', 'must be a positive integer, got 0'],
    [{ resize: 256.5, crop: 224 }, 'testTransform.resize', 'must be a positive integer, got 256.5'],
    [{ resize: '256', crop: 224 }, 'testTransform.resize', 'must be a positive integer, got "256"'],
    [{ resize: 256, crop: -224 }, 'testTransform.crop', 'must be a positive integer, got -224'],
    [{ resize: 200, crop: 224 }, 'testTransform.crop', 'must be at most testTransform.resize (200), got 224'],
    [{ resize: 256, crop: 192 }, 'testTransform.crop', "must be the run's imageSize (224), got 192"],
  ])('refuses %j, naming %s', (value, field, message) => {
    let error: unknown;
    try {
      parseTestTransform(value, 224);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TestTransformError);
    expect((error as TestTransformError).field).toBe(field);
    expect((error as Error).message.startsWith(`${field} ${message}`)).toBe(true);
  });
});
