// Voice notes: records the microphone with MediaRecorder until stopped; the page sends the recording as a file.

let recorder = null;
let chunks = [];
let started = 0;

/** Starts recording from the microphone (the browser asks for permission the first time). */
export async function start() {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    chunks = [];
    recorder = new MediaRecorder(stream);
    recorder.addEventListener("dataavailable", (e) => { if (e.data.size > 0) chunks.push(e.data); });
    recorder.start();
    started = performance.now();
}

/** Stops recording; returns the recording's type, length in milliseconds and bytes. */
export async function stop() {
    if (!recorder) {
        throw new Error("Not recording.");
    }
    const done = new Promise((resolve) => recorder.addEventListener("stop", resolve, { once: true }));
    recorder.stop();
    await done;
    recorder.stream.getTracks().forEach((t) => t.stop());
    const type = (recorder.mimeType || "audio/webm").split(";")[0];
    const blob = new Blob(chunks, { type });
    recorder = null;
    chunks = [];
    return { type, milliseconds: Math.round(performance.now() - started), bytes: new Uint8Array(await blob.arrayBuffer()) };
}

/** Stops recording and throws the recording away. */
export function cancel() {
    if (recorder) {
        recorder.stream.getTracks().forEach((t) => t.stop());
        recorder.stop();
        recorder = null;
        chunks = [];
    }
}
