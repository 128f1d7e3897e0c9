export {
  runBench,
  formatBenchReport,
  measureMatmul,
  executedForwardMacs,
  type BenchOptions,
  type BenchReport,
  type ArchReport,
  type DeviceRun,
  type Measurement,
  type BenchArchName,
} from './bench';
export {
  probeTorch,
  parsePytorchOutput,
  pairRows,
  formatComparison,
  PYTHON_ENV,
  type Comparison,
  type ComparisonPair,
  type PythonProbe,
} from './compare';
