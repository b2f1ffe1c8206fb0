import { Option, type Command } from 'commander';
import type { oip } from '@aimass/contracts';
import type { CliContext } from '../cli-context.js';
import type { CliIo } from '../cli-io.js';
import { callUnary, unaryOptions } from '../grpc-calls.js';
import {
  INPUT_FILE_HELP,
  buildInferRequest,
  decodeInferResponse,
  readInferInputFile,
  type InferResult,
} from '../infer-request.js';
import { formatTable } from '../table.js';

export const PREDICT_OUTPUTS = ['json', 'table'] as const;

/** Values shown per output in the table view; JSON always has all of them. */
const TABLE_VALUES = 16;

export interface PredictArgs {
  readonly name: string;
  readonly input: string;
  readonly version?: string | undefined;
  readonly output: (typeof PREDICT_OUTPUTS)[number];
}

export async function predict(
  args: PredictArgs,
  inference: oip.GRPCInferenceServiceClient,
  io: CliIo,
): Promise<InferResult> {
  // The file is read and encoded before dialling, so a bad file fails without touching the network.
  const request = buildInferRequest(args.name, args.version ?? '', readInferInputFile(args.input));
  const response = await callUnary<oip.ModelInferResponse__Output>((cb) =>
    inference.ModelInfer(request, unaryOptions(), cb),
  );
  const result = decodeInferResponse(response);
  io.stdout.write(args.output === 'json' ? `${JSON.stringify(result)}\n` : formatInferTable(result));
  return result;
}

export function formatInferTable(result: InferResult): string {
  const rows = result.outputs.map((t) => {
    const shown = t.data.slice(0, TABLE_VALUES).map((v) => String(v));
    if (t.data.length > TABLE_VALUES) shown.push(`... (${t.data.length} values; --output json shows all)`);
    return [t.name, t.datatype, `[${t.shape.join(', ')}]`, shown.join(', ')];
  });
  return `model ${result.model_name} version ${result.model_version}\n${formatTable(['OUTPUT', 'DATATYPE', 'SHAPE', 'DATA'], rows)}`;
}

export function registerPredictCommand(program: Command, ctx: CliContext): void {
  program
    .command('predict')
    .description('run one inference request (KServe OIP v2 ModelInfer) and print the outputs')
    .argument('<NAME>', 'model name')
    .requiredOption('--input <FILE>', 'JSON file with the input tensors (format below)')
    .option('--version <VERSION>', 'version number or alias (default: the production alias, else the latest)')
    .addOption(
      new Option('--output <FORMAT>', 'how to print the outputs').choices(PREDICT_OUTPUTS).default('json'),
    )
    .addHelpText('after', INPUT_FILE_HELP)
    .action(
      async (name: string, opts: { input: string; version?: string; output: PredictArgs['output'] }) => {
        await predict({ name, ...opts }, await ctx.inference(), ctx.io);
      },
    );
}
