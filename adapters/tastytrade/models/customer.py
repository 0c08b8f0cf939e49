"""The customer behind the login (``/customers/me``)."""

from __future__ import annotations

from datetime import date

from adapters.tastytrade.models.base import TastytradeModel, Timestamp


class Address(TastytradeModel):
    city: str | None = None
    country: str | None = None
    is_domestic: bool | None = None
    is_foreign: bool | None = None
    postal_code: str | None = None
    state_region: str | None = None
    street_one: str | None = None
    street_two: str | None = None
    street_three: str | None = None


class MarginType(TastytradeModel):
    """The API sends these keys in snake_case; field names accept them as they are."""

    name: str
    is_margin: bool


class PermittedAccountType(TastytradeModel):
    name: str
    description: str | None = None
    is_tax_advantaged: bool | None = None
    is_publicly_available: bool | None = None
    has_multiple_owners: bool | None = None
    margin_types: tuple[MarginType, ...] = ()


class CustomerSuitability(TastytradeModel):
    id: int | None = None
    marital_status: str | None = None
    number_of_dependents: int | None = None
    employment_status: str | None = None
    occupation: str | None = None
    employer_name: str | None = None
    job_title: str | None = None
    annual_net_income: int | None = None
    net_worth: int | None = None
    liquid_net_worth: int | None = None
    stock_trading_experience: str | None = None
    covered_options_trading_experience: str | None = None
    uncovered_options_trading_experience: str | None = None
    futures_trading_experience: str | None = None
    tax_bracket: str | None = None


class Customer(TastytradeModel):
    id: str
    first_name: str | None = None
    last_name: str | None = None
    middle_name: str | None = None
    prefix_name: str | None = None
    suffix_name: str | None = None
    first_surname: str | None = None
    second_surname: str | None = None
    address: Address | None = None
    mailing_address: Address | None = None
    is_foreign: bool | None = None
    usa_citizenship_type: str | None = None
    mobile_phone_number: str | None = None
    home_phone_number: str | None = None
    work_phone_number: str | None = None
    birth_date: date | None = None
    email: str | None = None
    external_id: str | None = None
    tax_number: str | None = None
    tax_number_type: str | None = None
    subject_to_tax_withholding: bool | None = None
    agreed_to_margining: bool | None = None
    agreed_to_terms: bool | None = None
    has_industry_affiliation: bool | None = None
    has_listed_affiliation: bool | None = None
    has_political_affiliation: bool | None = None
    has_delayed_quotes: bool | None = None
    has_pending_or_approved_application: bool | None = None
    is_professional: bool | None = None
    permitted_account_types: tuple[PermittedAccountType, ...] = ()
    created_at: Timestamp | None = None
    identifiable_type: str | None = None
    person: dict[str, object] | None = None
    customer_suitability: CustomerSuitability | None = None
    citizenship_country: str | None = None
    birth_country: str | None = None
    foreign_tax_number: str | None = None
    visa_type: str | None = None
    visa_expiration_date: date | None = None
    family_member_names: str | None = None
    listed_affiliation_symbol: str | None = None
    industry_affiliation_firm: str | None = None
    political_organization: str | None = None
    desk_customer_id: str | None = None
    gender: str | None = None
    regulatory_domain: str | None = None
    signature_of_agreement: bool | None = None
    user_id: str | None = None


__all__ = ["Address", "Customer", "CustomerSuitability", "MarginType", "PermittedAccountType"]
