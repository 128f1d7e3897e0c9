import type { NextConfig } from 'next';
import { resolve } from 'node:path';

/** The monorepo root: the libraries are TypeScript sources there, compiled into the dashboard's bundle. */
const workspaceRoot = resolve(process.cwd(), '..', '..');

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  transpilePackages: [
    '@slca/metrics',
    '@slca/artifacts',
    '@slca/data',
    '@slca/service-kit',
    '@slca/contracts',
  ],
  // Native or dynamically loading server packages stay plain `require`s at run time.
  serverExternalPackages: ['@grpc/grpc-js', '@grpc/proto-loader', 'grpc-health-check', 'minio', 'sharp'],
  turbopack: { root: workspaceRoot },
  outputFileTracingRoot: workspaceRoot,
  // The Nx `typecheck` target type-checks the project (tests included); the build does not repeat it.
  typescript: { ignoreBuildErrors: true },
};

export default config;
