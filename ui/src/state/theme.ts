import { useEffect, useState } from 'preact/hooks';

export type ThemeChoice = 'auto' | 'light' | 'dark';

const storageKey = 'mailsandbox.theme';
const order: ThemeChoice[] = ['auto', 'light', 'dark'];

function readChoice(): ThemeChoice {
  try {
    const v = localStorage.getItem(storageKey);
    return v === 'light' || v === 'dark' ? v : 'auto';
  } catch {
    // Storage can be disabled (privacy modes); the theme then just isn't remembered.
    return 'auto';
  }
}

/** The chosen theme, applied as `data-theme` on <html>; 'auto' follows `prefers-color-scheme` live. */
export function useTheme(): [ThemeChoice, () => void] {
  const [choice, setChoice] = useState<ThemeChoice>(readChoice);
  useEffect(() => {
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const apply = () => {
      const effective = choice === 'auto' ? (media.matches ? 'dark' : 'light') : choice;
      document.documentElement.dataset.theme = effective;
    };
    apply();
    media.addEventListener('change', apply);
    try {
      if (choice === 'auto') localStorage.removeItem(storageKey);
      else localStorage.setItem(storageKey, choice);
    } catch {
      // See readChoice.
    }
    return () => media.removeEventListener('change', apply);
  }, [choice]);
  const cycle = () => setChoice((c) => order[(order.indexOf(c) + 1) % order.length]);
  return [choice, cycle];
}
