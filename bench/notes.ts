/**
 * What a figure means, and why a target is missed when it is — by row id, kept with the code so
 * bench/results.md always says it next to the numbers. Written from the measurements; the numbers
 * themselves are in the table.
 */
export const NOTES: Record<string, string> = {
	'1a':
		'All 141 callers share one process-wide token cache with a single in-flight request per credential: the simulator mints once. The HTTP-Request-node stand-in goes through n8n-core’s own `httpRequestWithAuthentication`, which calls the credential’s `preAuthentication` because no token is stored yet.',
	'1b':
		'A token is renewed at expiry − skew (10 % of the lifetime, at least 5 s, at most 5 min, at most half the lifetime), so a token period is the lifetime minus the skew: 7 s for the 12 s lifetime used to keep this run short, 54 min for a one-hour token. "1 per period" means no token is ever minted twice.',
	'1c':
		'Renewal happens before expiry, and the n8n path (`authenticate`) switches to the renewed token as soon as the cache has it, so requests are not refused for expiry. One race remains that no client can close: a request that took the old token a moment before another caller’s renewal reaches Alation after it (Alation invalidates the old token at the mint); it is then refused once and retried once with the new token, so no item fails.',
	'1d':
		'The recipe mints a token per item. Alation invalidates the previous token on every mint, so 100 items started together break each other: all but the last item’s agent request are refused with 401, and the recipe does not retry. One after another (1e) they work, at two requests and one mint per item — and each run still invalidates the token every other workflow holds. Ours: one token request, then (since commit 8c7579b) one GET /integration/v1/userinfo/ through n8n’s helper so that n8n stores the token in the credential, then the 100 agent requests — the “other” request in the count.',
	'1f':
		'The SDK pattern introspects before every call (one extra request per call). Called from parallel items it has no single-flight: every first call sees no token and mints, and the mints invalidate each other exactly like the recipe.',
	'2a':
		'Node time is the item’s own `durationMs` (request, reading, assembly, output item); the floor’s is the wall time of the same request. The read path is the node’s code without n8n (`send` + `readAgentStream` + `AnswerAssembler`); CPU is the client thread’s CPU time (the simulator runs in a worker thread; on this machine that clock advances in 4 ms steps, see the header, so a single run’s CPU time is only good to ±10 %). Medians of interleaved repetitions; on a busy machine single repetitions vary by ±20 % or more (range shown). When this row misses, it misses by a few per cent, for the two reasons 2e separates: the node must keep the 8 M-character answer, which the floor throws away, and V8 compiles the assembly code again after the full GC that precedes each repetition.',
	'2b':
		'The server writes 1 KiB at a time and yields between writes; over loopback the client still reads larger chunks (shown), and the server’s pace bounds both clients’ wall time. Row 2e measures exact 1 KiB chunks without sockets.',
	'2d': 'As 2b, for snapshot streams.',
	'2e':
		'Same bytes, exact chunk sizes, no socket, no n8n; one thread, no I/O, so the wall time of a run is its work (plus preemption, which the median of interleaved runs absorbs). CPU is the ratio of CPU-time sums over all runs (the 4 ms clock steps average out). Before commit ed69fc8 the delta streams were 1.24–1.29× (CPU) and 1.24–1.28× (wall time, same load): each of the ~8,000 small events built part objects in the answer assembly; a message already locked into delta mode now appends its text without them (nodes/shared/sse/assembler.ts, `appendDeltaText`). What is left is measured by the breakdown: (1) keeping the answer — the floor throws the text away, the “floor keeping the text” (the least any client must do to have an 8 M-character answer) already costs 1.05–1.11×; (2) compiling again — each run here and in 2a–2d follows a full GC, after which V8 has dropped the optimised assembly code (its hidden classes died with the previous run’s objects: `--trace-deopt` reports “embedded weak objects cleared”); run back to back (“warm”) the node’s path is within a few per cent of the floor keeping the text. Measured apart on this stream, (1) is 0–4 ms and (2) 5–10 ms per run (so the cold ratio moves between 1.1× and 1.3× with the machine’s load); keeping a sentinel assembler alive did not keep the code (tried). Neither matters for answers of ordinary size, which never run long enough to be optimised. Snapshot streams (160 large events) are at the floor.',
	'3a':
		'The simulator (worker thread) stamps the moment it writes the first text event on the process-wide monotonic clock; the client stamps the moment `sendChunk` is called (n8n-core’s streaming hook, as with a Chat Trigger in streaming mode) or, for the floor, the moment the event is parsed.',
	'4a':
		'Peaks are mostly garbage V8 has not collected yet: the floor, which keeps nothing, peaks about as high. The target is judged on what the node adds to the floor’s RSS peak and on what stays after GC (nothing but the answer). RSS is the whole process, the simulator’s worker thread included.',
	'4b':
		'Include Events keeps at most 1,000 events and at most 10 MiB of event data (the size bound since commit 6042fce; before it, a few huge events would have been kept whole). The heap figure is the kept events as parsed objects.',
	'4c':
		'Before commit fbd8f8c this row missed: each Agent Chat item created `AbortSignal.timeout(Timeout)`, whose timer kept the run’s signals and listeners in memory for the whole Timeout (600 s by default) after the run ended — measured 0.9–1.8 KB per run, gone when Timeout was 2 s (the reference column still shows that comparison). The deadline is now cleared when the run ends. What remains is tens of bytes per run, the same as the read path without n8n: measurement noise. No socket, timer or handle is left behind (a keep-alive socket may close in between).',
	'5a':
		'The client thread is busy only a few per cent (shown), so the time over the ideal is waiting, not work: one item takes a few ms over 200 ms (five 40 ms timers and their overshoot, second ratio), the simulator and the client share two cores with whatever else runs on the machine (load average above), and with high concurrency the slowest of each worker’s items sets the end (p99 shown).',
	'5d':
		'The row most sensitive to the machine’s load: 20 streams at once and the simulator share the two cores with other work, so items take 10–25 ms over their 200 ms (median and p99 shown) and the slowest of each worker’s five items sets the end. Measured today between 1.09× and 1.17× across runs (load average 0.9–4.3 at the start); against the measured one-item time (second ratio) the pool itself adds under 10 %. Items are handed out by a worker pool (nodes/shared/items.ts): a worker takes the next item as soon as its last one ends, never waiting for a batch.',
};
