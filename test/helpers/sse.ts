// Reads a Server-Sent Events response as the wire shows it: each event's `event:`, `id:` and parsed `data:`.
export interface WireEvent {
  event?: string;
  id?: string;
  data: any;
}

export async function readEvents(response: Response, options: { stopAfter?: number } = {}): Promise<WireEvent[]> {
  const events: WireEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = response.body!.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: Partial<WireEvent> = {};
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('id: ')) event.id = line.slice(4);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length) events.push({ ...event, data: JSON.parse(data.join('\n')) });
      if (options.stopAfter !== undefined && events.length >= options.stopAfter) {
        await reader.cancel();
        return events;
      }
    }
  }
  return events;
}
