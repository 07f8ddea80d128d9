"""The report builder's datasets: one fact table per kind of record, the pool moves, the directory copy.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

# Exact on PostgreSQL; on SQLite the decimal's text (crm_shared.db.ExactDecimal).
MONEY = sa.Numeric(18, 2).with_variant(sa.String(40), "sqlite")


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('directory_team_names',
    sa.Column('team_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('team_id', name=op.f('pk_directory_team_names'))
    )
    op.create_table('directory_users',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('username', sa.String(length=150), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_directory_users'))
    )
    op.create_table('fact_contracts',
    sa.Column('contract_id', sa.String(length=36), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=True),
    sa.Column('customer_id', sa.String(length=36), nullable=True),
    sa.Column('owner_id', sa.String(length=36), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('amount', MONEY, nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('drafted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('contract_id', name=op.f('pk_fact_contracts'))
    )
    with op.batch_alter_table('fact_contracts', schema=None) as batch_op:
        batch_op.create_index('ix_fact_contracts_signed_at', ['signed_at'], unique=False)

    op.create_table('fact_customers',
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.Column('lead_id', sa.String(length=36), nullable=True),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('owner_id', sa.String(length=36), nullable=True),
    sa.Column('channel', sa.String(length=50), nullable=True),
    sa.Column('level', sa.String(length=50), nullable=True),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('industry', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_fact_customers'))
    )
    with op.batch_alter_table('fact_customers', schema=None) as batch_op:
        batch_op.create_index('ix_fact_customers_lead_id', ['lead_id'], unique=False)
        batch_op.create_index('ix_fact_customers_owner_id', ['owner_id'], unique=False)

    op.create_table('fact_expenses',
    sa.Column('expense_id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=True),
    sa.Column('customer_id', sa.String(length=36), nullable=True),
    sa.Column('category', sa.String(length=50), nullable=True),
    sa.Column('amount', MONEY, nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=True),
    sa.Column('state_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('expense_id', name=op.f('pk_fact_expenses'))
    )
    op.create_table('fact_follow_ups',
    sa.Column('follow_up_id', sa.String(length=36), nullable=False),
    sa.Column('subject', sa.String(length=10), nullable=False),
    sa.Column('lead_id', sa.String(length=36), nullable=True),
    sa.Column('customer_id', sa.String(length=36), nullable=True),
    sa.Column('opportunity_id', sa.String(length=36), nullable=True),
    sa.Column('owner_id', sa.String(length=36), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('follow_up_id', name=op.f('pk_fact_follow_ups'))
    )
    with op.batch_alter_table('fact_follow_ups', schema=None) as batch_op:
        batch_op.create_index('ix_fact_follow_ups_owner_id_at', ['owner_id', 'at'], unique=False)

    op.create_table('fact_installments',
    sa.Column('installment_id', sa.String(length=36), nullable=False),
    sa.Column('contract_id', sa.String(length=36), nullable=True),
    sa.Column('customer_id', sa.String(length=36), nullable=True),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('planned_amount', MONEY, nullable=True),
    sa.Column('planned_date', sa.Date(), nullable=True),
    sa.Column('plan_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_amount', MONEY, server_default='0', nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('state_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('installment_id', name=op.f('pk_fact_installments'))
    )
    with op.batch_alter_table('fact_installments', schema=None) as batch_op:
        batch_op.create_index('ix_fact_installments_planned_date', ['planned_date'], unique=False)

    op.create_table('fact_invoices',
    sa.Column('invoice_id', sa.String(length=36), nullable=False),
    sa.Column('contract_id', sa.String(length=36), nullable=True),
    sa.Column('customer_id', sa.String(length=36), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('amount', MONEY, nullable=True),
    sa.Column('tax_rate', MONEY, nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('state_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('invoice_id', name=op.f('pk_fact_invoices'))
    )
    op.create_table('fact_leads',
    sa.Column('lead_id', sa.String(length=36), nullable=False),
    sa.Column('company', sa.String(length=300), nullable=True),
    sa.Column('channel', sa.String(length=50), nullable=True),
    sa.Column('campaign', sa.String(length=100), nullable=True),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('industry', sa.String(length=100), nullable=True),
    sa.Column('pool_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=True),
    sa.Column('customer_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_follow_up_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('converted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('follow_ups', sa.Integer(), server_default='0', nullable=False),
    sa.Column('state_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('lead_id', name=op.f('pk_fact_leads'))
    )
    with op.batch_alter_table('fact_leads', schema=None) as batch_op:
        batch_op.create_index('ix_fact_leads_channel_created_at', ['channel', 'created_at'], unique=False)
        batch_op.create_index('ix_fact_leads_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_fact_leads_owner_id', ['owner_id'], unique=False)

    op.create_table('fact_opportunities',
    sa.Column('opportunity_id', sa.String(length=36), nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=True),
    sa.Column('lead_id', sa.String(length=36), nullable=True),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('stage', sa.String(length=50), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('amount', MONEY, nullable=True),
    sa.Column('win_probability', sa.Integer(), nullable=True),
    sa.Column('probability_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('owner_id', sa.String(length=36), nullable=True),
    sa.Column('expected_close_date', sa.Date(), nullable=True),
    sa.Column('close_date_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('opportunity_id', name=op.f('pk_fact_opportunities'))
    )
    with op.batch_alter_table('fact_opportunities', schema=None) as batch_op:
        batch_op.create_index('ix_fact_opportunities_closed_at', ['closed_at'], unique=False)
        batch_op.create_index('ix_fact_opportunities_owner_id', ['owner_id'], unique=False)

    op.create_table('fact_orders',
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('opportunity_id', sa.String(length=36), nullable=True),
    sa.Column('customer_id', sa.String(length=36), nullable=True),
    sa.Column('owner_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('subtotal', MONEY, nullable=True),
    sa.Column('discount', MONEY, nullable=True),
    sa.Column('tax', MONEY, nullable=True),
    sa.Column('total', MONEY, nullable=True),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_fact_orders'))
    )
    op.create_table('fact_payments',
    sa.Column('payment_id', sa.String(length=36), nullable=False),
    sa.Column('contract_id', sa.String(length=36), nullable=True),
    sa.Column('customer_id', sa.String(length=36), nullable=True),
    sa.Column('amount', MONEY, nullable=True),
    sa.Column('method', sa.String(length=30), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('payment_id', name=op.f('pk_fact_payments'))
    )
    with op.batch_alter_table('fact_payments', schema=None) as batch_op:
        batch_op.create_index('ix_fact_payments_received_on', ['received_on'], unique=False)

    op.create_table('fact_pool_moves',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('lead_id', sa.String(length=36), nullable=False),
    sa.Column('pool_id', sa.String(length=36), nullable=True),
    sa.Column('direction', sa.String(length=5), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('rule', sa.String(length=200), nullable=True),
    sa.Column('channel', sa.String(length=50), nullable=True),
    sa.Column('owner_id', sa.String(length=36), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_fact_pool_moves'))
    )
    with op.batch_alter_table('fact_pool_moves', schema=None) as batch_op:
        batch_op.create_index('ix_fact_pool_moves_at', ['at'], unique=False)

    op.create_table('fact_refunds',
    sa.Column('refund_id', sa.String(length=36), nullable=False),
    sa.Column('contract_id', sa.String(length=36), nullable=True),
    sa.Column('customer_id', sa.String(length=36), nullable=True),
    sa.Column('amount', MONEY, nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('refund_id', name=op.f('pk_fact_refunds'))
    )
    op.create_table('fact_targets',
    sa.Column('target_id', sa.String(length=36), nullable=False),
    sa.Column('subject_kind', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.String(length=36), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('metric', sa.String(length=30), nullable=False),
    sa.Column('value', MONEY, nullable=True),
    sa.Column('state_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('target_id', name=op.f('pk_fact_targets'))
    )
    op.create_table('fact_tickets',
    sa.Column('ticket_id', sa.String(length=36), nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=True),
    sa.Column('owner_id', sa.String(length=36), nullable=True),
    sa.Column('owner_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('channel', sa.String(length=50), nullable=True),
    sa.Column('priority', sa.String(length=20), nullable=True),
    sa.Column('priority_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('assignee_id', sa.String(length=36), nullable=True),
    sa.Column('group_id', sa.String(length=36), nullable=True),
    sa.Column('assignment_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reopened', sa.Integer(), server_default='0', nullable=False),
    sa.Column('sla_breaches', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_fact_tickets'))
    )
    with op.batch_alter_table('fact_tickets', schema=None) as batch_op:
        batch_op.create_index('ix_fact_tickets_opened_at', ['opened_at'], unique=False)

    op.create_table('directory_user_teams',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('team_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['directory_users.user_id'], name=op.f('fk_directory_user_teams_user_id_directory_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'team_id', name=op.f('pk_directory_user_teams'))
    )
    with op.batch_alter_table('directory_user_teams', schema=None) as batch_op:
        batch_op.create_index('ix_directory_user_teams_team_id', ['team_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('directory_user_teams', schema=None) as batch_op:
        batch_op.drop_index('ix_directory_user_teams_team_id')

    op.drop_table('directory_user_teams')
    with op.batch_alter_table('fact_tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_fact_tickets_opened_at')

    op.drop_table('fact_tickets')
    op.drop_table('fact_targets')
    op.drop_table('fact_refunds')
    with op.batch_alter_table('fact_pool_moves', schema=None) as batch_op:
        batch_op.drop_index('ix_fact_pool_moves_at')

    op.drop_table('fact_pool_moves')
    with op.batch_alter_table('fact_payments', schema=None) as batch_op:
        batch_op.drop_index('ix_fact_payments_received_on')

    op.drop_table('fact_payments')
    op.drop_table('fact_orders')
    with op.batch_alter_table('fact_opportunities', schema=None) as batch_op:
        batch_op.drop_index('ix_fact_opportunities_owner_id')
        batch_op.drop_index('ix_fact_opportunities_closed_at')

    op.drop_table('fact_opportunities')
    with op.batch_alter_table('fact_leads', schema=None) as batch_op:
        batch_op.drop_index('ix_fact_leads_owner_id')
        batch_op.drop_index('ix_fact_leads_created_at')
        batch_op.drop_index('ix_fact_leads_channel_created_at')

    op.drop_table('fact_leads')
    op.drop_table('fact_invoices')
    with op.batch_alter_table('fact_installments', schema=None) as batch_op:
        batch_op.drop_index('ix_fact_installments_planned_date')

    op.drop_table('fact_installments')
    with op.batch_alter_table('fact_follow_ups', schema=None) as batch_op:
        batch_op.drop_index('ix_fact_follow_ups_owner_id_at')

    op.drop_table('fact_follow_ups')
    op.drop_table('fact_expenses')
    with op.batch_alter_table('fact_customers', schema=None) as batch_op:
        batch_op.drop_index('ix_fact_customers_owner_id')
        batch_op.drop_index('ix_fact_customers_lead_id')

    op.drop_table('fact_customers')
    with op.batch_alter_table('fact_contracts', schema=None) as batch_op:
        batch_op.drop_index('ix_fact_contracts_signed_at')

    op.drop_table('fact_contracts')
    op.drop_table('directory_users')
    op.drop_table('directory_team_names')
