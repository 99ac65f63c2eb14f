// How long a clip plays, from its bytes: voice minutes are counted from the real audio sent. Reads WAV
// (RIFF header: data size / byte rate) and MP3 (sums the frames' samples / sample rate, skipping ID3 tags).
// Undefined for anything else.
export function audioDurationMs(audio: Buffer): number | undefined {
  if (audio.length >= 12 && audio.toString('ascii', 0, 4) === 'RIFF' && audio.toString('ascii', 8, 12) === 'WAVE')
    return wavDuration(audio);
  return mp3Duration(audio);
}

function wavDuration(audio: Buffer): number | undefined {
  let byteRate: number | undefined;
  for (let at = 12; at + 8 <= audio.length; ) {
    const id = audio.toString('ascii', at, at + 4);
    const size = audio.readUInt32LE(at + 4);
    if (id === 'fmt ' && at + 16 <= audio.length) byteRate = audio.readUInt32LE(at + 16);
    if (id === 'data')
      return byteRate ? Math.round((Math.min(size, audio.length - at - 8) / byteRate) * 1000) : undefined;
    at += 8 + size + (size % 2);
  }
  return undefined;
}

const BITRATES_V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const BITRATES_V2_L3 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const SAMPLE_RATES = [
  [11025, 12000, 8000],
  [0, 0, 0],
  [22050, 24000, 16000],
  [44100, 48000, 32000],
]; // by version bits

function mp3Duration(audio: Buffer): number | undefined {
  let at = 0;
  if (audio.toString('latin1', 0, 3) === 'ID3' && audio.length >= 10) {
    at =
      10 + (((audio[6]! & 0x7f) << 21) | ((audio[7]! & 0x7f) << 14) | ((audio[8]! & 0x7f) << 7) | (audio[9]! & 0x7f));
  }
  let seconds = 0;
  let frames = 0;
  while (at + 4 <= audio.length) {
    const header = audio.readUInt32BE(at);
    if ((header & 0xffe00000) >>> 0 !== 0xffe00000) {
      at += 1;
      continue;
    } // not a frame sync: skip
    const version = (header >>> 19) & 3; // 3: MPEG1, 2: MPEG2, 0: MPEG2.5
    const layer = (header >>> 17) & 3; // 1: layer III
    const bitrateIndex = (header >>> 12) & 15;
    const rateIndex = (header >>> 10) & 3;
    const padding = (header >>> 9) & 1;
    if (version === 1 || layer !== 1 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) {
      at += 1;
      continue;
    }
    const sampleRate = SAMPLE_RATES[version]![rateIndex]!;
    const bitrate = (version === 3 ? BITRATES_V1_L3 : BITRATES_V2_L3)[bitrateIndex]! * 1000;
    const samples = version === 3 ? 1152 : 576;
    const length = Math.floor(((samples / 8) * bitrate) / sampleRate) + padding;
    if (length <= 4) {
      at += 1;
      continue;
    }
    seconds += samples / sampleRate;
    frames += 1;
    at += length;
  }
  return frames > 0 ? Math.round(seconds * 1000) : undefined;
}
