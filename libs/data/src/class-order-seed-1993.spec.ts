import { describe, expect, it } from 'vitest';
import { classOrder, remapLabels } from './class-order';

// Full orders from numpy 2.4.6: np.random.RandomState(seed).permutation(n).tolist()
const CIFAR100_SEED_1993 = [
  68, 56, 78, 8, 23, 84, 90, 65, 74, 76, 40, 89, 3, 92, 55, 9, 26, 80, 43, 38, 58, 70, 77, 1, 85, 19, 17, 50,
  28, 53, 13, 81, 45, 82, 6, 59, 83, 16, 15, 44, 91, 41, 72, 60, 79, 52, 20, 10, 31, 54, 37, 95, 14, 71, 96,
  98, 97, 2, 64, 66, 42, 22, 35, 86, 24, 34, 87, 21, 99, 0, 88, 27, 18, 94, 11, 12, 47, 25, 30, 46, 62, 69,
  36, 61, 7, 63, 75, 5, 32, 4, 51, 48, 73, 93, 39, 67, 29, 49, 57, 33,
];
const N200_SEED_1996 = [
  92, 182, 15, 79, 26, 173, 109, 188, 27, 157, 177, 6, 35, 93, 52, 136, 164, 184, 2, 125, 130, 179, 135, 150,
  100, 97, 7, 86, 158, 178, 168, 78, 181, 170, 32, 89, 8, 192, 104, 12, 145, 120, 80, 49, 155, 85, 95, 33, 17,
  175, 137, 44, 112, 124, 153, 190, 83, 138, 43, 73, 87, 94, 140, 134, 180, 105, 111, 24, 60, 149, 63, 123,
  152, 116, 185, 176, 198, 194, 133, 46, 51, 195, 88, 197, 13, 103, 121, 174, 160, 82, 151, 18, 20, 34, 66,
  50, 40, 3, 4, 118, 36, 144, 169, 72, 58, 99, 142, 161, 64, 47, 193, 127, 101, 31, 71, 196, 9, 110, 126, 199,
  128, 122, 91, 119, 189, 16, 159, 81, 163, 21, 141, 156, 77, 30, 107, 19, 55, 57, 53, 106, 146, 45, 54, 172,
  154, 183, 75, 143, 113, 62, 148, 11, 114, 131, 129, 171, 5, 96, 10, 39, 29, 165, 191, 70, 76, 23, 69, 115,
  90, 56, 166, 68, 167, 42, 187, 147, 0, 22, 102, 108, 65, 61, 74, 59, 25, 37, 48, 84, 162, 28, 132, 139, 117,
  14, 41, 38, 67, 98, 1, 186,
];
const N196_SEED_1997 = [
  86, 150, 52, 4, 186, 54, 174, 38, 63, 122, 131, 189, 111, 58, 167, 170, 64, 56, 193, 115, 126, 102, 97, 42,
  154, 44, 45, 76, 181, 43, 156, 53, 32, 114, 112, 101, 11, 109, 159, 95, 90, 31, 164, 84, 142, 69, 132, 41,
  12, 107, 88, 152, 182, 117, 100, 71, 23, 75, 93, 135, 140, 127, 83, 7, 123, 35, 178, 36, 149, 148, 25, 3,
  108, 24, 46, 176, 94, 99, 185, 60, 116, 104, 145, 67, 195, 191, 65, 62, 143, 153, 96, 30, 68, 183, 61, 139,
  34, 2, 78, 40, 165, 16, 8, 18, 177, 10, 15, 121, 187, 37, 147, 172, 50, 171, 6, 162, 151, 72, 47, 51, 87, 1,
  110, 27, 137, 190, 138, 26, 105, 134, 120, 92, 89, 133, 70, 106, 77, 163, 79, 180, 59, 119, 157, 194, 130,
  98, 192, 124, 129, 184, 158, 168, 91, 17, 74, 20, 160, 175, 33, 141, 161, 155, 81, 9, 39, 82, 125, 188, 73,
  22, 128, 5, 55, 19, 173, 21, 66, 179, 85, 0, 49, 13, 28, 118, 113, 80, 136, 169, 166, 103, 146, 14, 144, 48,
  57, 29,
];
const N30_SEED_1993 = [
  27, 21, 26, 2, 8, 13, 10, 6, 15, 20, 14, 23, 12, 28, 11, 5, 0, 22, 18, 4, 19, 24, 9, 7, 16, 3, 29, 17, 25,
  1,
];

describe('class order, CIFAR-100 seed 1993 (docs/method.md §3.1 check value)', () => {
  const order = classOrder(100, 1993);

  it('starts with the check value', () => {
    expect(order.slice(0, 20)).toEqual([
      68, 56, 78, 8, 23, 84, 90, 65, 74, 76, 40, 89, 3, 92, 55, 9, 26, 80, 43, 38,
    ]);
  });

  it('ends with the check value', () => {
    expect(order.slice(-8)).toEqual([73, 93, 39, 67, 29, 49, 57, 33]);
  });

  it('equals numpy in full', () => {
    expect(order).toEqual(CIFAR100_SEED_1993);
  });
});

describe('class order, other benchmarks and seeds', () => {
  it.each([
    ['ImageNet-R / CUB-200, 200 classes, seed 1996', 200, 1996, N200_SEED_1996],
    ['Cars-196, seed 1997', 196, 1997, N196_SEED_1997],
    ['Split Emoji, 30 classes, seed 1993', 30, 1993, N30_SEED_1993],
  ])('%s equals numpy', (_name, n, seed, expected) => {
    expect(classOrder(n, seed)).toEqual(expected);
  });

  it('rejects an invalid class count or seed', () => {
    expect(() => classOrder(0, 1993)).toThrow(/nClasses must be a positive integer, got 0/);
    expect(() => classOrder(10.5, 1993)).toThrow(/nClasses/);
    expect(() => classOrder(10, -1)).toThrow(/seed/);
  });
});

describe('remapLabels', () => {
  it('maps original label order[k] to new label k', () => {
    const order = CIFAR100_SEED_1993;
    const lookup = remapLabels(order);
    expect(lookup[68]).toBe(0);
    expect(lookup[56]).toBe(1);
    expect(lookup[33]).toBe(99);
    order.forEach((original, k) => expect(lookup[original]).toBe(k));
  });

  it('is the inverse permutation on a hand-checked example', () => {
    // order [2, 0, 1]: original 2 → 0, original 0 → 1, original 1 → 2
    expect(Array.from(remapLabels([2, 0, 1]))).toEqual([1, 2, 0]);
  });

  it('rejects orders that are not permutations', () => {
    expect(() => remapLabels([0, 0, 1])).toThrow(/label 0 appears twice \(order\[0\] and order\[1\]\)/);
    expect(() => remapLabels([0, 3, 1])).toThrow(/order\[1\] = 3 is not a label in 0\.\.2/);
    expect(() => remapLabels([0, 1.5])).toThrow(/order\[1\] = 1.5/);
  });
});
