// Public API of the loopback Alation simulator (implemented in index.js).
import type { AgentSummary, Demo, Simulator, SimulatorOptions, ToolSummary } from './types';

export type {
	AgentSummary,
	Counters,
	Demo,
	DemoUser,
	FaultAnswer,
	FaultRecord,
	FaultRegistry,
	FaultSpec,
	InterceptHandler,
	InterceptOptions,
	RequestLogEntry,
	RouteName,
	Simulator,
	SimulatorOptions,
	StreamStyle,
	ToolSummary,
	WarehouseCredential,
} from './types';

export declare const DEMO: Readonly<Demo>;

/** The agent catalogue served by GET /ai/api/v1/config/agent. */
export declare const AGENTS: readonly AgentSummary[];

/** The tool catalogue served by GET /ai/api/v1/config/tool (built-in tools and one custom tool). */
export declare const TOOLS: readonly ToolSummary[];

/** The deterministic answer text an agent gives on a turn (before any JSON wrapping); `askedBy`: the signed-in user's display name (user OAuth tokens). */
export declare function answerText(message: string, agentName: string, turn: number, askedBy?: string): string;

export declare function startSimulator(options?: Partial<SimulatorOptions>): Promise<Simulator>;
