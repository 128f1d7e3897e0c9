import { describe, expect, it } from 'vitest';
import {
  DEFAULT_VIEW,
  settingAt,
  settingPaths,
  settingText,
  termValue,
  viewFromParams,
  viewToParams,
  withTerm,
} from './run-rows';

describe('the Runs page view in the URL', () => {
  it('leaves the defaults out, and reads back what it writes', () => {
    expect(viewToParams(DEFAULT_VIEW)).toBe('');
    const view = {
      q: 'method:slca lastAcc>80',
      sort: 'setting:stage1.lr',
      desc: false,
      cols: ['stage1.lr', 'alignment.epochs'],
      hide: ['backend'],
      sel: ['run-a', 'run-b'],
    };
    const params = viewToParams(view);
    expect(params).toBe(
      'q=method%3Aslca+lastAcc%3E80&sort=setting%3Astage1.lr&desc=0&cols=stage1.lr%2Calignment.epochs&hide=backend&sel=run-a%2Crun-b',
    );
    expect(viewFromParams(new URLSearchParams(params))).toEqual(view);
    expect(viewFromParams(new URLSearchParams(''))).toEqual(DEFAULT_VIEW);
  });
});

describe('the Status and Tag menus edit the query', () => {
  it('replace their own term and keep the others', () => {
    expect(withTerm('', 'status', 'running')).toBe('status:running');
    expect(withTerm('lastAcc>80 status:failed cifar', 'status', 'running')).toBe(
      'lastAcc>80 cifar status:running',
    );
    expect(withTerm('tag:a method:sl', 'tag', '')).toBe('method:sl');
    expect(termValue('lastAcc>80 tag:paper', 'tag')).toBe('paper');
    expect(termValue('lastAcc>80', 'tag')).toBe('');
  });
});

describe('setting columns', () => {
  const experiment = { stage1: { lr: 0.01, milestones: [18] }, alignment: null, method: 'slca' };

  it('read a dotted path; a missing one is a dash', () => {
    expect(settingAt(experiment, 'stage1.lr')).toBe(0.01);
    expect(settingText(settingAt(experiment, 'stage1.milestones'))).toBe('[18]');
    expect(settingText(settingAt(experiment, 'alignment'))).toBe('null');
    expect(settingText(settingAt(experiment, 'alignment.epochs'))).toBe('–');
    expect(settingText(settingAt(experiment, 'method'))).toBe('slca');
  });

  it('offer every leaf path of the runs’ experiments, once, sorted', () => {
    expect(settingPaths([experiment, { stage1: { epochs: 1 } }])).toEqual([
      'alignment',
      'method',
      'stage1.epochs',
      'stage1.lr',
      'stage1.milestones',
    ]);
  });
});
