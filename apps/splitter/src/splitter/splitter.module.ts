import { Module, type DynamicModule } from '@nestjs/common';
import type { ObjectStore } from '@slca/artifacts';
import { BackbonesService } from '../backbones/backbones.service';
import { OBJECT_STORE } from '../object-store';
import { ServerPaths } from './server-paths';
import { SplitterController } from './splitter.controller';
import { SplitterService } from './splitter.service';

@Module({})
export class SplitterModule {
  static forStore(store: ObjectStore, paths: ServerPaths): DynamicModule {
    return {
      module: SplitterModule,
      controllers: [SplitterController],
      providers: [
        { provide: OBJECT_STORE, useValue: store },
        { provide: ServerPaths, useValue: paths },
        SplitterService,
        BackbonesService,
      ],
    };
  }
}
