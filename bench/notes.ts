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
		'Node time is the item’s own `durationMs` (request, reading, assembly, output item); the floor’s is the wall time of the same request. The read path is the node’s code without n8n (`send` + `readAgentStream` + `AnswerAssembler`); CPU is the client thread’s CPU time (the simulator runs in a worker thread). Medians of interleaved repetitions; on a busy machine single repetitions vary by ±20 %. When this row misses (1.1–1.2× on a quiet machine), the cause is the one 2e isolates: the reader is at the floor, the answer assembly adds 10–20 % of CPU on this stream of ~8,000 small delta events, and at full network speed that shows in the wall time.',
	'2b':
		'The server writes 1 KiB at a time and yields between writes; over loopback the client still reads larger chunks (shown), and the server’s pace bounds both clients’ wall time. Row 2e measures exact 1 KiB chunks without sockets.',
	'2d': 'As 2b, for snapshot streams.',
	'2e':
		'CPU time only: same bytes, exact chunk sizes, no socket, no n8n. The package’s reader is at the floor (“reader alone”); the extra CPU is the AnswerAssembler. In delta streams (~8,000 events of ~1 KiB) it adds 10–30 %: in a CPU profile its own functions (`add`, `normalizePart`, `apply`) are ~7 % and the rest shows as garbage collection; in snapshot streams (160 large events) it is within ±3 %. With a socket in between it shows at full speed on the delta stream (2a) and is lost in the noise elsewhere. A cheaper per-event path for a message already locked into delta mode would fix it — package code (nodes/shared/sse/assembler.ts), reported, not changed here.',
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
};
