import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { say, shout } from './log.mjs';

const TAIL_LINES = 40;

/** A child process of the run: one app (or the bare express server), with its recent output. */
export interface ChildApp {
  readonly name: string;
  readonly pid: number;
  /** resolves with the exit code (or the signal's name) once the process is gone */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process is gone */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Every child the run starts. A child that exits while it should be running marks the run as
 * failed (`check()` throws), so that a scenario never waits on an app that died.
 */
export class ProcessRegistry {
  private readonly children = new Set<ChildApp>();
  private failure: Error | undefined;
  private quiet = false;

  start(
    name: string,
    command: string,
    args: readonly string[],
    options: { env: NodeJS.ProcessEnv; cwd: string },
  ): ChildApp {
    const child: ChildProcess = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) throw new Error(`${name} could not be started (${command})`);
    // A failure after the spawn (a signal refused…) must not crash the run as an unhandled 'error'.
    child.on('error', (error) => {
      this.failure ??= new Error(`${name}: ${error.message}`);
    });
    const lines: string[] = [];
    const remember = (line: string) => {
      lines.push(line);
      if (lines.length > TAIL_LINES) lines.shift();
      process.stderr.write(`  [${name}] ${line}\n`);
    };
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', remember);
    }
    let stopping = false;
    let gone = false;
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => {
        gone = true;
        this.children.delete(app);
        const outcome = code ?? signal ?? 'unknown';
        if (!stopping && !this.quiet && !this.failure) {
          this.failure = new Error(
            `${name} (pid ${child.pid}) exited unexpectedly (${outcome}); its last output:\n${lines.join('\n')}`,
          );
          shout(name, `exited unexpectedly (${outcome})`);
        }
        resolve(outcome);
      });
    });
    const app: ChildApp = {
      name,
      pid: child.pid,
      exited,
      async stop(timeoutMs = 15_000) {
        stopping = true;
        if (gone) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          say(name, `still running ${timeoutMs} ms after SIGTERM: killing it`);
          child.kill('SIGKILL');
        }, timeoutMs);
        await exited;
        clearTimeout(timer);
      },
    };
    this.children.add(app);
    return app;
  }

  /** Forgets an earlier unexpected exit: each scenario starts its own children. */
  clearFailure(): void {
    this.failure = undefined;
  }

  /** From now on exits are expected (Ctrl-C reaches the children too). */
  shuttingDown(): void {
    this.quiet = true;
  }

  /** Throws the first unexpected exit, if any: called by every wait loop. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children].map((child) => child.stop()));
  }

  /** Last resort on process exit, which cannot wait: SIGKILL whatever still runs. */
  killAllNow(): void {
    for (const child of this.children) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

const clockTicksPerSecond = (() => {
  const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const value = Number(result.stdout?.trim());
  return Number.isFinite(value) && value > 0 ? value : 100;
})();

/** VmRSS and VmHWM (peak RSS, kept by the kernel) of a live process, in KiB. */
export function readMemory(pid: number): { rssKb: number; hwmKb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a live process has used so far. */
export function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  } catch {
    return undefined;
  }
}

export interface ProcessFigures {
  name: string;
  /** the largest VmRSS seen by sampling every `intervalMs` */
  sampledPeakRssMb: number;
  /** the kernel's own peak (VmHWM) at the end of the window */
  vmHwmMb: number;
  /** CPU seconds used during the window, and that as a share of one core */
  cpuSeconds: number;
  cpuShareOfOneCore: number;
}

/**
 * Watches processes during a measured window: samples VmRSS every `intervalMs` (keeping the max)
 * and takes their CPU time at the start and the end. Reading /proc costs microseconds, so the
 * sampling does not weigh on what it measures.
 */
export class ProcessMeter {
  private readonly peakRssKb = new Map<number, number>();
  private readonly cpuAtStart = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;

  constructor(
    private readonly targets: readonly ChildApp[],
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.startedAt = performance.now();
    for (const target of this.targets) this.cpuAtStart.set(target.pid, readCpuSeconds(target.pid) ?? 0);
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    for (const target of this.targets) {
      const memory = readMemory(target.pid);
      if (memory) this.peakRssKb.set(target.pid, Math.max(this.peakRssKb.get(target.pid) ?? 0, memory.rssKb));
    }
  }

  /** Ends the window; call it while the processes still run (VmHWM dies with them). */
  finish(): ProcessFigures[] {
    this.sample();
    clearInterval(this.timer);
    const wallSeconds = (performance.now() - this.startedAt) / 1000;
    return this.targets.map((target) => {
      const cpuSeconds = (readCpuSeconds(target.pid) ?? 0) - (this.cpuAtStart.get(target.pid) ?? 0);
      return {
        name: target.name,
        sampledPeakRssMb: (this.peakRssKb.get(target.pid) ?? 0) / 1024,
        vmHwmMb: (readMemory(target.pid)?.hwmKb ?? 0) / 1024,
        cpuSeconds,
        cpuShareOfOneCore: wallSeconds > 0 ? cpuSeconds / wallSeconds : 0,
      };
    });
  }
}
