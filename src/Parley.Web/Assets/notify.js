// Desktop notifications for messages that arrive while the window is in the background.

/** The Notifications API's permission: "granted", "denied", "default", or "unsupported". */
export function permission() {
    return "Notification" in window ? Notification.permission : "unsupported";
}

/** Asks for permission (from a button press); returns the answer. */
export async function enable() {
    return "Notification" in window ? await Notification.requestPermission() : "unsupported";
}

/** Shows a notification when the page is hidden and allowed to; clicking it brings the chat to the front. */
export function show(title, body, url) {
    if (!document.hidden || !("Notification" in window) || Notification.permission !== "granted") {
        return false;
    }
    const note = new Notification(title, { body, tag: url });
    note.onclick = () => {
        window.focus();
        window.location.assign(url);
        note.close();
    };
    return true;
}
