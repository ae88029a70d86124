// The few things the page does in the browser: Enter sends, the newest message comes into view, a search hit is shown.

/** Enter sends the message (the form's submit), Shift+Enter is a new line. */
export function composer(textarea) {
    textarea.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            textarea.form.requestSubmit();
        }
    });
}

/** Scrolls a message list to its newest message. */
export function scrollToEnd(list) {
    if (list && list.lastElementChild) {
        list.lastElementChild.scrollIntoView({ block: "end" });
    }
}

/** Brings one message into view and gives it focus (a search result). */
export function reveal(id) {
    const element = document.getElementById(id);
    if (element) {
        element.tabIndex = -1;
        element.scrollIntoView({ block: "center" });
        element.focus();
    }
}
