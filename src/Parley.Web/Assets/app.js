// The few things the page does in the browser: Enter sends, the newest message comes into view, a search hit is shown.

/** Enter sends the message (the form's submit), Shift+Enter is a new line, Escape cancels a reply or an edit. */
export function composer(textarea) {
    textarea.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            textarea.form.requestSubmit();
        } else if (e.key === "Escape") {
            // Escape cancels a reply or an edit in progress.
            const cancel = textarea.form.querySelector(".context button");
            if (cancel) {
                e.preventDefault();
                cancel.click();
            }
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

/** Copies text to the clipboard (an invite link). */
export async function copy(text) {
    await navigator.clipboard.writeText(text);
}

/** A listbox of choices (the reaction picker): arrow keys, Home and End move between its options, Enter or Space
 *  picks the one in focus, Escape closes it through its button, which takes the focus back. Focuses the first option. */
export function listbox(list, toggle) {
    const options = () => [...list.querySelectorAll('[role="option"]')];
    const move = (to) => {
        const all = options();
        const at = (to + all.length) % all.length;
        all.forEach((o, i) => { o.tabIndex = i === at ? 0 : -1; });
        all[at].focus();
    };
    list.addEventListener("keydown", (e) => {
        const all = options();
        const at = all.indexOf(document.activeElement);
        switch (e.key) {
            case "ArrowRight": case "ArrowDown": move(at + 1); break;
            case "ArrowLeft": case "ArrowUp": move(at - 1); break;
            case "Home": move(0); break;
            case "End": move(all.length - 1); break;
            case "Enter": case " ": if (at >= 0) { all[at].click(); } break;
            case "Escape": toggle.click(); break;
            default: return;
        }
        e.preventDefault();
        e.stopPropagation();
    });
    move(0);
}

/** Gives the focus to the title of what the page shows (after moving to another chat or screen). */
export function focusTitle() {
    const title = document.querySelector("main h1");
    if (title && document.activeElement !== title) {
        title.focus();
    }
}
