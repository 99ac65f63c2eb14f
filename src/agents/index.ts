// The agents area's public interface: what the composition root and other areas may use. Everything else in
// this folder is private to it.
export { agentsHandlers } from './handlers.js';
export { AgentListingsService } from './service.js';
export { findListing, listingIdsOwnedBy, listingSummaries, listingsUsableBy, type ListingSummary } from './queries.js';
