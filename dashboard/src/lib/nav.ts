/** The navbar's pages, in order. A page's `key` is the `page` prop it passes to the layout. */
export interface NavItem {
  key: string;
  label: string;
  href: string; // relative to the site's base (/ui/)
  adminOnly?: boolean;
}

export const NAV: NavItem[] = [
  { key: 'live', label: 'Live', href: '' },
  { key: 'archive', label: 'Archive', href: 'archive/' },
  { key: 'events', label: 'Events', href: 'events/' },
  { key: 'sensors', label: 'Sensors', href: 'sensors/' },
  { key: 'bluetooth', label: 'Bluetooth', href: 'bluetooth/' },
  { key: 'storage', label: 'Storage', href: 'storage/' },
  { key: 'stats', label: 'Stats', href: 'stats/' },
  { key: 'logs', label: 'Logs', href: 'logs/' },
  { key: 'settings', label: 'Settings', href: 'settings/' },
];
