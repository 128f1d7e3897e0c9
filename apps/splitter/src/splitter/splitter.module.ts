import { Module, type DynamicModule } from '@nestjs/common';
import type { ObjectStore } from '@slca/artifacts';
import { BackbonesService } from '../backbones/backbones.service';
import { OBJECT_STORE } from '../object-store';
import { SplitterController } from './splitter.controller';
import { SplitterService } from './splitter.service';

@Module({})
export class SplitterModule {
  static forStore(store: ObjectStore): DynamicModule {
    return {
      module: SplitterModule,
      controllers: [SplitterController],
      providers: [{ provide: OBJECT_STORE, useValue: store }, SplitterService, BackbonesService],
    };
  }
}
