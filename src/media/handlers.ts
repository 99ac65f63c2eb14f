import type { HandlersOf } from '../http/context.js';
import type { MediaService } from './service.js';

export const mediaHandlers = (media: MediaService) =>
  ({
    getAudio: async ({ path }) => {
      const clip = await media.get(path.id);
      return {
        status: 200,
        body: { contentType: clip.contentType, data: clip.data },
        headers: { 'Cache-Control': 'public, max-age=31536000, immutable' },
      };
    },
  }) satisfies HandlersOf<'media'>;
