@channels @channels_6
Feature: The customer is credited the amount the merchant declared
  Proves, in Cryptopay's words:
  - Channels item 6: Make sure that you credit the correct amount to the customer's balance. Remember that paid_amount == received_amount + fee, where received_amount is the amount credited to the Cryptopay merchant balance and fee is the amount of processing fee charged by Cryptopay for processing the payment
  A payment to a deposit address is worth what was paid, at Cryptopay's rate, in the currency the channel credits.
  Cryptopay keeps its fee from that and adds the rest, the received amount, to the merchant's account. The merchant
  has declared which of the two it credits its customer, in the channel's currency; it is checked for a payment
  credited in the crypto it was paid in and for one converted to euros.

  Background:
    Given a new customer
    And the merchant credits its customers the amount it declared, which means:
      | declared | the customer is credited                                                         |
      | net      | the received amount: what reached the merchant's account, after Cryptopay's fee  |
      | gross    | the received amount plus Cryptopay's fee: all the customer paid, in that currency |

  Scenario Outline: A <kind> payment credits the declared amount
    Given the customer has a personal address to deposit crypto, credited in <currency>
    When the customer sends a payment to their deposit address
    Then Cryptopay reports the payment as completed
    And the customer's balance shows the declared amount of the payment, in <currency>

    Examples:
      | kind          | currency        |
      | same-currency | the same crypto |
      | converted     | EUR             |
