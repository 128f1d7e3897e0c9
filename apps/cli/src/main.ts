import { Command, CommanderError, Option } from 'commander';
import cliPackage from '../package.json';
import { METHODS } from '@slca/engine';
import { BACKEND_REQUESTS, DEVICE_REQUESTS } from '@slca/compute';
import { DEBIAN_OPENCLIPART_DIR } from '@slca/data';
import { benchCommand } from './commands/bench';
import { classOrderCommand } from './commands/class-order';
import { datasetImportCommand, datasetListCommand, datasetShowCommand } from './commands/dataset';
import { DEFAULT_DATASETS_DIR } from './datasets';
import { embedCommand } from './commands/embed';
import { DEFAULT_STAGE1_FILE, pretrainCommand } from './commands/pretrain';
import { reproduceCommand } from './commands/reproduce';
import { backboneListCommand, backboneRegisterCommand } from './commands/backbone';
import { expsCommand } from './commands/exps';
import { collect, runCommand } from './commands/run';
import { DEFAULT_REGISTRY_DIR } from './experiments';
import { DEFAULT_EVALUATOR, DEFAULT_SPLITTER, DEFAULT_TRAINER } from './commands/remote';
import { certsCommand } from './commands/certs';
import { stackCommand, watchCommand } from './commands/stack';

const backendOption = () =>
  new Option('--backend <name>', 'TensorFlow.js backend; fails if another one ends up running')
    .choices([...BACKEND_REQUESTS])
    .default('auto');

/** The CLI's version, from its package.json. */
export const CLI_VERSION: string = cliPackage.version;

export function buildProgram(): Command {
  const program = new Command('slca')
    .description(
      'SLCA Lab: class-incremental learning on pre-trained ViTs (Slow Learner with Classifier Alignment)',
    )
    .showHelpAfterError()
    .version(CLI_VERSION, '--version', 'print the version and exit')
    // The parser's own errors (unknown option, missing value, bad choice) are user errors: exit 2, like ours.
    .exitOverride()
    .addHelpText(
      'after',
      [
        '',
        'Environment:',
        '  SLCA_TRAINER_ADDRESS, SLCA_EVALUATOR_ADDRESS, SLCA_SPLITTER_ADDRESS',
        "      where the services are when no flag says (else the running local stack's address file,",
        '      $SLCA_STACK_DIR/stack.env, else 127.0.0.1:50052 / 50054 / 50051)',
        '  SLCA_TLS_CA, SLCA_TLS_CERT, SLCA_TLS_KEY',
        "      the client certificate to call the services with (else the local stack's, in $SLCA_STACK_DIR/tls)",
        "  SLCA_STACK_DIR   the local stack's state folder (default .slca-stack)",
        '',
        'Exit codes: 0 done; 1 a failure (a run that failed, a service that refused or is unreachable);',
        '2 a usage error (bad flag, option or value), reported before any work is done.',
      ].join('\n'),
    );

  program
    .command('class-order')
    .description("print the class order, numpy's legacy RandomState(seed).permutation(classes), as JSON")
    .requiredOption('--classes <n>', 'number of classes')
    .requiredOption('--seed <s>', 'seed')
    .action(classOrderCommand);

  program
    .command('embed')
    .description('write the CLS features of every PNG in a folder, from a safetensors backbone')
    .requiredOption('--backbone <file>', 'safetensors checkpoint with timm parameter names')
    .requiredOption(
      '--arch <arch>',
      'preset (vit-b16, vit-emoji, …) or JSON {"imageSize","patchSize","dim","depth","heads","mlpDim"}',
    )
    .requiredOption('--images <dir>', 'folder of .png images')
    .option(
      '--preprocess <mode>',
      "'none': images already at the input size; 'resize': bicubic resize",
      'none',
    )
    .requiredOption('--out <file>', 'output JSON {files, features}')
    .addOption(backendOption())
    .action(embedCommand);

  program
    .command('run')
    .description(
      'run one experiment — an experiment file, or a benchmark’s golden configuration — in-process (or on the trainer with --remote) and write its result as JSON',
    )
    .option(
      '--config <file>',
      'experiment file (YAML or JSON, slca.experiment/v1; e.g. exps/slca-cifar100-in21k.yaml)',
    )
    .option(
      '--set <path=value>',
      'override a field of the experiment, e.g. --set stage1.epochs=1 (repeatable; applied last)',
      collect,
      [],
    )
    .option(
      '--benchmark <name>',
      'without --config: the benchmark whose golden configuration runs',
      'embedded',
    )
    .option(
      '--method <list>',
      `without --config: ${METHODS.join(' | ')}; a comma-separated list runs each in turn (--out x.json → x-<method>.json)`,
    )
    .option('--seed <s>', 'seed (class order and every random draw); default: the experiment’s (1993)')
    .requiredOption('--out <file>', 'result JSON')
    .option('--workers <n>', 'compute worker threads (0 = this thread); results do not depend on it')
    .addOption(
      new Option(
        '--device <name>',
        "compute device: 'wasm' (tfjs), 'onnx' (native forward and training passes), 'auto' (onnx where it loads and the method runs there); default: the experiment's (auto when it names none)",
      ).choices([...DEVICE_REQUESTS]),
    )
    .option('--epochs <n>', 'override stage-1 epochs (smoke runs only; tables use the default)')
    .option(
      '--transform-workers <n>',
      'worker threads for source-size training transforms (results do not depend on it)',
    )
    .addOption(backendOption())
    .addOption(
      new Option('--datasets-dir <dir>', 'where imported datasets live').default(DEFAULT_DATASETS_DIR),
    )
    .addOption(
      new Option('--registry <dir>', 'the folder whose backbones/ holds registered backbones').default(
        DEFAULT_REGISTRY_DIR,
      ),
    )
    .option('--remote', 'submit the run to the trainer service instead of running it in this process')
    .option('--trainer <host:port>', 'trainer service address (with --remote)', DEFAULT_TRAINER)
    .option('--evaluator <host:port>', 'evaluator service address (with --remote)', DEFAULT_EVALUATOR)
    .option('--splitter <host:port>', 'splitter service address (with --remote)', DEFAULT_SPLITTER)
    .option('--run-id <id>', 'run id (with --remote; the same id continues or shows the same run)')
    .option('--json', 'print the result summary as JSON on stdout instead of the sentence')
    .action(runCommand);

  const backbone = program
    .command('backbone')
    .description(
      'register pre-trained ViT weights (safetensors with timm names, or a torch.save checkpoint) and list them',
    );
  backbone
    .command('register')
    .description(
      'check a weights file against an architecture, convert it to timm-named safetensors and register it (locally, or with --remote in the splitter’s object store)',
    )
    .requiredOption(
      '--file <file>',
      'model.safetensors, or a .pth/.pt/.pth.tar written by torch.save (e.g. MoCo v3)',
    )
    .requiredOption(
      '--arch <arch>',
      'vit-b16, or JSON {"imageSize","patchSize","dim","depth","heads","mlpDim"}',
    )
    .requiredOption('--name <name>', 'name runs refer to it by (lower-case letters, digits, . _ -)')
    .addOption(
      new Option('--registry <dir>', 'local registry folder (its backbones/)').default(DEFAULT_REGISTRY_DIR),
    )
    .option(
      '--remote',
      'register with the splitter service (the file must be readable there, by absolute path)',
    )
    .option('--splitter <host:port>', 'splitter service address (with --remote)', DEFAULT_SPLITTER)
    .action(backboneRegisterCommand);
  backbone
    .command('list')
    .description('list registered backbones: name, architecture, digest, source')
    .addOption(
      new Option('--registry <dir>', 'local registry folder (its backbones/)').default(DEFAULT_REGISTRY_DIR),
    )
    .option('--remote', 'list the splitter’s registry')
    .option('--splitter <host:port>', 'splitter service address (with --remote)', DEFAULT_SPLITTER)
    .option('--json', 'print as JSON')
    .action(backboneListCommand);

  program
    .command('exps')
    .description(
      'write exps/: one experiment file per golden configuration and the JSON Schema, from the engine’s definitions',
    )
    .option('--dir <dir>', 'where to write them', 'exps')
    .option('--check', 'write nothing; exit 1 if the files differ from the definitions')
    .action(expsCommand);

  program
    .command('watch')
    .description('follow a run on the trainer service with a progress bar until it ends')
    .argument('<run-id>', 'the run to follow')
    .option('--trainer <host:port>', 'trainer service address', DEFAULT_TRAINER)
    .option('--json', 'print the run as it ended as JSON on stdout (progress stays on stderr)')
    .action(watchCommand);

  program
    .command('certs')
    .description(
      "make (or reuse) the platform's private CA and a certificate per service and client identity, e.g. for Kubernetes Secrets",
    )
    .option('--out <dir>', 'folder of the PEM files', 'certs')
    .option(
      '--namespace <ns>',
      'Kubernetes namespace whose service names the service certificates carry',
      'slca',
    )
    .option(
      '--host <name>',
      'one more DNS name or IP the service certificates carry (repeatable)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(certsCommand);

  program
    .command('stack')
    .description(
      'start the local stack (object store + splitter, statistics store, evaluator, trainer on 127.0.0.1) and run the embedded default SLCA experiment through it',
    )
    .option('--no-run', 'only start the stack; Ctrl-C stops it')
    .option('--keep', 'keep the stack running after the run; Ctrl-C stops it (the default in a terminal)')
    .option('--exit', 'stop the stack after the run even in a terminal')
    .option('--method <method>', 'method of the run', 'slca')
    .option('--seed <s>', 'seed of the run', '1993')
    .option('--epochs <n>', 'override stage-1 epochs (smoke runs only)')
    .option('--data-dir <dir>', "the stack's object store (kept between starts)", '.slca-stack')
    .option('--out <file>', 'result JSON of the run', 'results/embedded-slca-1993.json')
    .action(stackCommand);

  program
    .command('reproduce')
    .description('run methods over seeds and write the paper-style table (mean ± std) as Markdown and JSON')
    .option(
      '--benchmark <name>',
      "'embedded' (Split Emoji), or the name of a dataset imported with 'slca dataset import' (its format picks the paper benchmark)",
      'embedded',
    )
    .option('--seeds <list>', 'comma-separated seeds', '1993,1996,1997')
    .option(
      '--methods <list>',
      "comma-separated methods, or 'all' (every method the benchmark has)",
      'seqft,sl,slca,joint',
    )
    .option('--out-dir <dir>', 'where runs and the table go (default: results/reproduce-<benchmark>)')
    .option('--weights <file>', 'imported benchmarks: pre-trained ViT as safetensors with timm names')
    .option(
      '--backbone <kind>',
      'imported benchmarks: in21k | mocov3 (picks epochs and published numbers; default in21k)',
    )
    .option('--arch <arch>', 'imported benchmarks: vit-b16 (default) or a JSON architecture (smoke runs)')
    .option('--workers <n>', 'compute worker threads')
    .option(
      '--shards <n>',
      'imported benchmarks: cut each batch into n shards (on wasm, ViT-B/16 needs one image per shard: 128)',
    )
    .option(
      '--transform-workers <n>',
      'imported benchmarks: worker threads for the training transforms (0 = this thread; default: 0 on wasm/cpu, cores − 1 up to 8 on tensorflow); results do not depend on it',
    )
    .option('--epochs <n>', 'override stage-1 epochs (smoke runs only)')
    .addOption(backendOption())
    .addOption(
      new Option('--datasets-dir <dir>', 'where imported datasets live').default(DEFAULT_DATASETS_DIR),
    )
    .option(
      '--remote',
      'submit every (method, seed) to the trainer and build the table from the platform’s runs; --benchmark is then a catalogue benchmark (embedded, cifar100, imagenet-r, cub200, cars196)',
    )
    .option('--dataset <name>', 'with --remote: the registered dataset (default: the benchmark’s name)')
    .option(
      '--set <path=value>',
      'with --remote: override a field of every run’s experiment (repeatable)',
      collect,
      [],
    )
    .option('--backbone-name <name>', 'with --remote: the registered backbone (default: in21k / mocov3)')
    .option('--trainer <host:port>', 'trainer service address (with --remote)', DEFAULT_TRAINER)
    .option('--evaluator <host:port>', 'evaluator service address (with --remote)', DEFAULT_EVALUATOR)
    .option('--splitter <host:port>', 'splitter service address (with --remote)', DEFAULT_SPLITTER)
    .addOption(
      new Option('--registry <dir>', 'the folder whose backbones/ holds registered backbones').default(
        DEFAULT_REGISTRY_DIR,
      ),
    )
    .action(reproduceCommand);

  program
    .command('pretrain')
    .description('pre-train the embedded backbone with the shipped recipe and probe it on Split Emoji')
    .option('--out-dir <dir>', 'where the checkpoint and its record go', 'results/pretrain')
    .option('--install', 'replace the shipped backbone (libs/engine/assets) instead')
    .option('--epochs <n>', 'override the supervised stage epochs (smoke runs only)')
    .option('--contrastive-epochs <n>', 'override the contrastive stage epochs (smoke runs only)')
    .option('--workers <n>', 'compute worker threads')
    .option(
      '--clipart <dir>',
      `folder of clip-art PNGs for the contrastive stage (default ${DEBIAN_OPENCLIPART_DIR}: apt-get install openclipart-png)`,
    )
    .option(
      '--stage1 <file>',
      `where the contrastive stage's backbone is kept and reused when recipe and images match (default ${DEFAULT_STAGE1_FILE})`,
    )
    .action(pretrainCommand);

  const dataset = program
    .command('dataset')
    .description(
      'import the paper benchmarks (CIFAR-100, ImageNet-R, CUB-200, Cars-196) and inspect imported datasets',
    );
  const datasetsDirOption = () =>
    new Option('--datasets-dir <dir>', 'where imported datasets live').default(DEFAULT_DATASETS_DIR);
  dataset
    .command('import')
    .description(
      'check a dataset in its official format and write its manifest (and, for CIFAR-100, lossless PNGs) to datasets/<name>/',
    )
    .requiredOption('--format <format>', 'cifar100 | imagenet-r | cub200 | cars196')
    .requiredOption(
      '--path <path>',
      'cifar-100-binary.tar.gz or its folder; the imagenet-r/ folder; the CUB_200_2011/ folder; the Stanford Cars release (cars_train/, cars_test/, devkit/) or a folder with train/ and test/',
    )
    .requiredOption('--name <name>', 'dataset name (letters, digits, . _ -)')
    .option('--out <dir>', 'dataset folder to write (default: <datasets-dir>/<name>)')
    .addOption(datasetsDirOption())
    .action(datasetImportCommand);
  dataset
    .command('list')
    .description('list imported datasets with their class and image counts')
    .addOption(datasetsDirOption())
    .option('--json', 'print as JSON')
    .action(datasetListCommand);
  dataset
    .command('show')
    .description(
      'show an imported dataset: where it came from, its manifest digest and class counts per split',
    )
    .argument('<name>', 'dataset name (or a dataset folder)')
    .option('--json', 'print as JSON')
    .addOption(datasetsDirOption())
    .action(datasetShowCommand);

  program
    .command('bench')
    .description(
      'print throughput figures: matMul GFLOP/s, training and forward img/s for the embedded and a 1-block ViT, ' +
        'one ViT-B/16 training step at batch 8, and the input pipeline of the paper benchmarks',
    )
    .option('--workers <list>', 'worker counts to measure (0 = this thread)', '0,1,2')
    .option(
      '--no-vit-b16',
      'skip the ViT-B/16 training step (batch 8, largest worker count; 2 warm-up + 3 timed steps, about 1–3 minutes)',
    )
    .option(
      '--no-pipeline',
      "skip the paper benchmarks' input-pipeline figures (decode + transforms at 224 px)",
    )
    .option(
      '--device <name>',
      "compute device: wasm (tfjs-wasm, portable) or onnx (forward and training passes on onnxruntime-node's native CPU kernels)",
      'wasm',
    )
    .option(
      '--compare <peer>',
      "'pytorch': run tools/bench/pytorch_bench.py in the same run (a Python with torch: $SLCA_PYTHON or python3) and print each pair and its ratio",
    )
    .option('--json <file>', 'also write the figures as JSON')
    .addOption(backendOption())
    .action(benchCommand);

  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed its message (or the help, or the version) already.
      const ok = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(e.code);
      process.exitCode = ok ? 0 : 2;
      return;
    }
    const err = e as Error;
    const known = [
      'UsageError',
      'ConfigError',
      'ArchError',
      'WeightsError',
      'SafetensorsError',
      'ManifestError',
      'ImageDecodeError',
      'DatasetImportError',
      'DatasetFileError',
      'BackendError',
      'ExperimentError',
      'StatisticsError',
      'RemoteError',
      'TransformError',
      'TorchCheckpointError',
      'DatasetFitError',
    ];
    process.stderr.write(`slca: ${known.includes(err.name) ? err.message : (err.stack ?? err.message)}\n`);
    process.exitCode = known.includes(err.name) && err.name === 'UsageError' ? 2 : 1;
  }
}

if (require.main === module) void main();
