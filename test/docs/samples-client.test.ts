import { describeSamples } from './samples.js';

describeSamples('client');
