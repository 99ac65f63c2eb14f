// Child process: the OpenAI-compatible server the agent chat's second pair of rows streams from, the tests'
// fake (test/helpers/fake-openai.ts: a role delta, then the reply a word per `data:` line 2 ms apart, then
// `data: [DONE]`), in its own process so that its work is not on the bench client's event loop.
import { startFakeOpenAi } from '../../test/helpers/fake-openai.js';
import { exitOnSignal, report, runChild } from './common.js';

runChild(async () => {
  const fake = await startFakeOpenAi();
  exitOnSignal(() => fake.close());
  report({ type: 'ready', baseUrl: fake.baseUrl });
});
