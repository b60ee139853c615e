// The slip's Print button (the page prints from the browser menu without it).
document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
