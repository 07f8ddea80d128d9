// Code lists shown in forms. Labels come from i18n (channels.*, tickets.priority.*).
export const LEAD_CHANNELS = ['web', 'referral', 'phone', 'email', 'event', 'trade_show', 'partner', 'social', 'ads', 'other']
export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent']
