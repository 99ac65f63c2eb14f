// The providers configuration selects: an OpenAI-compatible server when AGENT_BASE_URL (SPEECH_BASE_URL) is
// set, otherwise the local agent (and no speech).
import type { AgentConfig, SpeechConfig } from '../config.js';
import { LocalAgentProvider, type AgentProvider } from './agent-provider.js';
import { OpenAiCompatibleAgentProvider } from './openai-agent-provider.js';
import { OpenAiCompatibleSpeechProvider, type SpeechProvider } from './speech-provider.js';

export const createAgentProvider = (config: AgentConfig): AgentProvider =>
  config.baseUrl
    ? new OpenAiCompatibleAgentProvider({ baseUrl: config.baseUrl, apiKey: config.apiKey })
    : new LocalAgentProvider();

export const createSpeechProvider = (config: SpeechConfig | undefined): SpeechProvider | undefined =>
  config ? new OpenAiCompatibleSpeechProvider(config) : undefined;
