// The few things the page does in the browser: Enter sends, the list follows the newest message, a search hit is shown.

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

// How close to the bottom (in pixels) still counts as reading the newest messages.
const nearEnd = 48;

/**
 * Keeps a message list where its reader wants it while rows come and go (the list is virtualized: rows are rendered
 * as it scrolls, and the spacers that stand for the others change height as rows are measured). At the newest
 * message, the list stays at the end as messages arrive; after a jump to a message, that message stays in view.
 * The reader's own scrolling (wheel, touch, keys, the scroll bar) ends the jump; scrolling up stops following the
 * end, scrolling back down starts it again.
 */
export function follow(list) {
    if (!list || list.parleyFollow) {
        return;
    }
    const state = { atEnd: true, target: null };
    list.parleyFollow = state;
    list.addEventListener("scroll", () => {
        if (!state.target) {
            state.atEnd = list.scrollHeight - list.scrollTop - list.clientHeight <= nearEnd;
        }
    }, { passive: true });
    for (const name of ["wheel", "touchstart", "keydown", "pointerdown"]) {
        list.addEventListener(name, () => {
            state.target = null;
        }, { passive: true });
    }
    const keep = () => {
        if (state.target) {
            place(list, state.target);
        } else if (state.atEnd) {
            list.scrollTop = list.scrollHeight;
        }
    };
    new MutationObserver(keep).observe(list, { childList: true, subtree: true, attributes: true, attributeFilter: ["style"] });
    new ResizeObserver(keep).observe(list);
    keep();
}

/** Brings the newest message into view and follows from there (after sending). */
export function toEnd(list) {
    if (list) {
        if (list.parleyFollow) {
            list.parleyFollow.atEnd = true;
            list.parleyFollow.target = null;
        }
        list.scrollTop = list.scrollHeight;
    }
}

/**
 * Jumps straight to the message at `position` of the history (a search result) and gives it focus once it is
 * rendered. The rows in view carry their positions and the spacers stand for the other rows at the rows' average
 * height, so the scroll offset of any position can be computed: the list is placed there at once (no stepwise
 * scrolling through the history), and placed again as rows render and are measured, until the reader scrolls.
 */
export function jump(list, id, position) {
    if (!list) {
        return;
    }
    const target = { id, position, focused: false };
    if (list.parleyFollow) {
        list.parleyFollow.atEnd = false;
        list.parleyFollow.target = target;
    }
    place(list, target);
}

/** Scrolls the list so that the target message is in the middle (or where it will be once rendered). */
function place(list, target) {
    const element = document.getElementById(target.id);
    if (!element) {
        list.scrollTop = offsetOf(list, target.position) - list.clientHeight / 2;
        return;
    }
    const box = element.getBoundingClientRect();
    const view = list.getBoundingClientRect();
    const off = box.top + box.height / 2 - (view.top + view.height / 2);
    if (Math.abs(off) > 1) {
        list.scrollTop += off;
    }
    // Focus it once; again only when the list rendered it anew while the focus was on the old one (now gone).
    const active = document.activeElement;
    if (!target.focused || (element !== target.element && (!active || active === document.body))) {
        element.tabIndex = -1;
        element.focus({ preventScroll: true });
        target.focused = document.activeElement === element;
    }
    target.element = element;
}

/** Where (in the list's scroll coordinates) the row at `position` is, or would be once rendered. */
function offsetOf(list, position) {
    const rows = [...list.querySelectorAll("li[data-position]")];
    if (rows.length === 0) {
        return 0;
    }
    const top = list.getBoundingClientRect().top - list.scrollTop;
    const first = rows[0];
    const last = rows[rows.length - 1];
    const firstPosition = Number(first.dataset.position);
    const lastPosition = Number(last.dataset.position);
    const firstTop = first.getBoundingClientRect().top - top;
    const lastBottom = last.getBoundingClientRect().bottom - top;
    const average = lastPosition > firstPosition ? (lastBottom - firstTop) / (lastPosition - firstPosition + 1) : Math.max(lastBottom - firstTop, 1);
    return firstTop + (position - firstPosition) * average;
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

/** Starts the download of a file the app serves (the backup "Back up now" wrote), as a click on its link would. */
export function download(url) {
    const link = document.createElement("a");
    link.href = url;
    link.download = "";
    document.body.appendChild(link);
    link.click();
    link.remove();
}
