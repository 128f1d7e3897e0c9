import { Module, type DynamicModule } from '@nestjs/common';
import type { ObjectStore } from '@slca/artifacts';
import type { BackendInfo } from '@slca/compute';
import { OBJECT_STORE } from '../object-store';
import { EvaluationController } from './evaluation.controller';
import {
  EVALUATION_OPTIONS,
  EvaluationService,
  TENSOR_BACKEND,
  type EvaluationOptions,
} from './evaluation.service';

@Module({})
export class EvaluationModule {
  static forStore(store: ObjectStore, backend: BackendInfo, options: EvaluationOptions = {}): DynamicModule {
    return {
      module: EvaluationModule,
      controllers: [EvaluationController],
      providers: [
        { provide: OBJECT_STORE, useValue: store },
        { provide: TENSOR_BACKEND, useValue: backend },
        { provide: EVALUATION_OPTIONS, useValue: options },
        EvaluationService,
      ],
    };
  }
}
