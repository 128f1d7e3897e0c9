import { projectTestConfig } from '../../vitest.shared';

// The browser tests share one local stack and one dashboard per file; files run one after the other so
// two stacks never compete for the two cores.
export default projectTestConfig(__dirname, { fileParallelism: false, hookTimeout: 240_000 });
