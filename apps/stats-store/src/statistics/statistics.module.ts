import { Module, type DynamicModule } from '@nestjs/common';
import type { ObjectStore } from '@slca/artifacts';
import { OBJECT_STORE } from '../object-store';
import { StatisticsController } from './statistics.controller';
import { StatisticsStoreService } from './statistics.service';

@Module({})
export class StatisticsModule {
  static forStore(store: ObjectStore): DynamicModule {
    return {
      module: StatisticsModule,
      controllers: [StatisticsController],
      providers: [{ provide: OBJECT_STORE, useValue: store }, StatisticsStoreService],
    };
  }
}
