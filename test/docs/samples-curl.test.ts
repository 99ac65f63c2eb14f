import { describeSamples } from './samples.js';

describeSamples('curl');
