"""The privacy office's case desk: staff accounts and sign-in, the incident cases with their status
timeline and deadlines, exports, the audit log, Slack reminders before deadlines and the review of 👎 answers.

Server-rendered Japanese pages under /desk (``bot.desk.routes``); state in the same database as the reports
(``bot.desk.tables``, on ``bot.store.metadata``).
"""
