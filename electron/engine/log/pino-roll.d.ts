// pino-roll ships no types: the part of its API the logger uses (a rolling SonicBoom stream).
declare module 'pino-roll' {
  import type { DestinationStream } from 'pino'
  interface RollOptions {
    file: string
    size?: string | number
    frequency?: 'daily' | 'hourly' | number
    mkdir?: boolean
    limit?: { count?: number; removeOtherLogFiles?: boolean }
    sync?: boolean
    mode?: number
  }
  export default function build(
    options: RollOptions,
  ): Promise<DestinationStream & { flushSync(): void; end(): void }>
}
