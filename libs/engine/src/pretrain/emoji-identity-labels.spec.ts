import { describe, expect, it } from 'vitest';
import { emojiIdentityLabels } from './emoji-recipe';

describe('emoji identity labels', () => {
  it('gives both renditions of an emoji the same class and skin tones their own, in sorted-name order', () => {
    const files = [
      'emoji-datasource-google/img/google/64/1f600.png',
      'emoji-datasource-twitter/img/twitter/64/1f600.png',
      'emoji-datasource-google/img/google/64/1f44b-1f3fb.png',
      'emoji-datasource-google/img/google/64/1f44b.png',
      'emoji-datasource-twitter/img/twitter/64/1f44b.png',
    ];
    // sorted names: 1f44b-1f3fb.png (0), 1f44b.png (1), 1f600.png (2)
    const { labels, classes } = emojiIdentityLabels(files);
    expect(classes).toBe(3);
    expect(Array.from(labels)).toEqual([2, 2, 0, 1, 1]);
  });
});
