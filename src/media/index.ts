// The media area's public interface: its handlers, its service (audio storage other areas write through) and
// the URL an audio clip is served at.
export { mediaHandlers } from './handlers.js';
export { MediaService, audioUrl, audioUrlPrefix } from './service.js';
