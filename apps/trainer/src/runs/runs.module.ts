import { Module, type DynamicModule } from '@nestjs/common';
import type { RunManager } from './run-manager';
import { RUN_MANAGER, RunsController } from './runs.controller';

/** The TrainerService: controllers over one RunManager, built (and recovered) before the server starts. */
@Module({})
export class RunsModule {
  static with(manager: RunManager): DynamicModule {
    return {
      module: RunsModule,
      controllers: [RunsController],
      providers: [{ provide: RUN_MANAGER, useValue: manager }],
    };
  }
}
