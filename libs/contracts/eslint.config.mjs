import baseConfig from '../../eslint.config.mjs';

// Generated code is checked by buf and the compiler, not by our style rules.
export default [...baseConfig, { ignores: ['src/generated/**'] }];
