// The wallet area's public interface: its handlers, and its service, through which other areas move money
// in their own transaction.
export { walletHandlers } from './handlers.js';
export { WalletService, type Movement } from './service.js';
