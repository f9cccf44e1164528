import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { root } from './services.mjs';

/** The parts of V8's .cpuprofile (written by `node --cpu-prof`) that a self-time summary needs. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples?: number[];
  /** microseconds since the previous sample; the first is relative to startTime */
  timeDeltas?: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  top: { functionName: string; url: string; selfMs: number; share: number }[];
}

const TOP = 15;

function shortUrl(url: string): string {
  if (url === '') return '';
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  return file.startsWith(`${root}${path.sep}`) ? path.relative(root, file) : file;
}

/**
 * Self time per function (callFrame functionName + url, summed over every node of it), top 15.
 * Each sample lasts until the next one, so sample i is given timeDeltas[i + 1].
 */
export async function summariseProfile(file: string): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const frameOf = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const selfUs = new Map<string, { functionName: string; url: string; us: number }>();
  let totalUs = 0;
  for (let index = 0; index < samples.length; index += 1) {
    const frame = frameOf.get(samples[index] ?? -1);
    const us = Math.max(0, deltas[index + 1] ?? 0);
    if (!frame) continue;
    totalUs += us;
    const key = `${frame.functionName}\u0000${frame.url}`;
    const entry = selfUs.get(key) ?? {
      functionName: frame.functionName || '(anonymous)',
      url: frame.url,
      us: 0,
    };
    entry.us += us;
    selfUs.set(key, entry);
  }
  const top = [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, TOP)
    .map((entry) => ({
      functionName: entry.functionName,
      url: shortUrl(entry.url),
      selfMs: entry.us / 1000,
      share: totalUs > 0 ? entry.us / totalUs : 0,
    }));
  return { file: path.relative(root, file), totalMs: totalUs / 1000, top };
}

export function formatProfile(summary: ProfileSummary): string {
  const lines = [
    `${summary.file}: ${(summary.totalMs / 1000).toFixed(1)} s sampled; top ${TOP} by self time`,
  ];
  for (const entry of summary.top) {
    const share = `${(entry.share * 100).toFixed(1)}%`.padStart(6);
    const ms = `${Math.round(entry.selfMs)} ms`.padStart(9);
    lines.push(`  ${share} ${ms}  ${entry.functionName}${entry.url ? `  ${entry.url}` : ''}`);
  }
  return lines.join('\n');
}
