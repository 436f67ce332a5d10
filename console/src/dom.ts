// Builds elements from data without ever parsing data as markup: text goes in as text nodes and attributes
// as attributes. Nothing in the console sets innerHTML, so a notification's JSON can hold anything.

type Child = Node | string | number | null | undefined | false;
type AttributeValue = string | number | boolean | null | undefined;
type Listener = (event: Event) => void;
export type Attributes = Record<string, AttributeValue | Listener>;

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * @example
 * h('button', { type: 'button', class: 'link', onclick: () => open(id) }, 'Open ', id)
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
    return fill(document.createElement(tag), attributes, children);
}

/** The same for SVG elements. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): SVGElementTagNameMap[K] {
    return fill(document.createElementNS(SVG_NS, tag), attributes, children);
}

/** Replaces an element's children. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
    parent.replaceChildren(...children.filter(isPresent).map(toNode));
}

function fill<E extends Element>(element: E, attributes: Attributes, children: Child[]): E {
    for (const [name, value] of Object.entries(attributes)) {
        if (typeof value === 'function') {
            element.addEventListener(name.replace(/^on/, ''), value);
        } else if (value === true) {
            element.setAttribute(name, '');
        } else if (value !== false && value !== null && value !== undefined) {
            element.setAttribute(name, String(value));
        }
    }
    element.append(...children.filter(isPresent).map(toNode));
    return element;
}

function isPresent(child: Child): child is Node | string | number {
    return child !== null && child !== undefined && child !== false;
}

function toNode(child: Node | string | number): Node | string {
    return typeof child === 'number' ? String(child) : child;
}
